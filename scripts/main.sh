#!/usr/bin/env bash
# The main job, end to end on Fashion-MNIST: install, build, train a small fractional BNN in C++ (LibTorch),
# export it, and run it on the bit-packed engine (accuracy, speed); then evaluate the shipped FracBNN
# ResNet-20 (models/fracbnn_resnet20) with the engine.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
bash scripts/build.sh
bnnkit=build/bin/bnnkit
data=/usr/share/datasets/fashion-mnist
out=out/quick
mkdir -p "$out"

echo "== train (configs/quick.json: 2 epochs on 10 000 images)"
"$bnnkit" train --config configs/quick.json --data "$data" --out "$out" --fresh
echo "== export"
"$bnnkit" export "$out/checkpoint.pt" -o "$out/quick.bnn"
"$bnnkit" info "$out/quick.bnn"
echo "== engine: classify, accuracy, speed"
"$bnnkit" run "$out/quick.bnn" --images "$data/t10k-images-idx3-ubyte.gz" --count 3
"$bnnkit" eval "$out/quick.bnn" --data "$data" | head -1
"$bnnkit" bench "$out/quick.bnn" --threads 1 --iters 50 | tail -1
echo "== the shipped FracBNN ResNet-20 (trained with configs/fracbnn_resnet20.json)"
"$bnnkit" eval models/fracbnn_resnet20/fracbnn_resnet20.bnn --data "$data" | head -1
"$bnnkit" bench models/fracbnn_resnet20/fracbnn_resnet20.bnn --threads 1 --iters 20 | tail -1
echo "model written to $out/quick.bnn"
