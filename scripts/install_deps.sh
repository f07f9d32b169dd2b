#!/usr/bin/env bash
# Installs the Debian 12 packages bnnkit builds, tests and trains with (plus clang for fuzzing with --fuzz).
# Idempotent: does nothing when they are all present. Runs apt-get as root, or through sudo otherwise.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libflatbuffers-dev flatbuffers-compiler   # model file
  libcli11-dev nlohmann-json3-dev           # command line, configs
  libgtest-dev libgmock-dev libbenchmark-dev   # tests, benchmarks
  libdnnl-dev                               # oneDNN baselines in benchmarks
  libpng-dev zlib1g-dev                     # image and dataset input
  dataset-fashion-mnist                     # the default dataset
  libtorch-dev libopenblas0-openmp          # the trainer (LibTorch 1.13); OpenBLAS for fast CPU matmul
  clang-format
)

# `install_deps.sh --fuzz` adds what scripts/fuzz.sh needs: clang and its libFuzzer/sanitizer runtimes.
if [ "${1:-}" = "--fuzz" ]; then
  packages+=(clang libclang-rt-14-dev)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "installing: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
