#!/usr/bin/env bash
# The main job, end to end on Fashion-MNIST: install, build, make a model, inspect it, classify test images
# with the engine, measure its accuracy and speed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
bash scripts/build.sh
bnnkit=build/bin/bnnkit
data=/usr/share/datasets/fashion-mnist
mkdir -p out
model=out/fracbnn-tiny.bnn
"$bnnkit" synth fracbnn-tiny -o "$model"
"$bnnkit" info "$model"
"$bnnkit" run "$model" --images "$data/t10k-images-idx3-ubyte.gz" --count 5
"$bnnkit" eval "$model" --data "$data" --limit 2000
"$bnnkit" bench "$model" --threads 1 --profile
echo "model written to $model"
