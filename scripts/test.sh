#!/usr/bin/env bash
# The test command: installs dependencies, builds everything and runs the whole suite with CTest; then builds
# the engine's test binary and the CLI again with AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/,
# no trainer, no benchmarks) and runs the suite under them, stopping at the first report. Exits non-zero if
# anything fails. BNNKIT_SKIP_SANITIZE=1 skips the sanitizer pass (docs/reliability.md).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
bash scripts/install_deps.sh
bash scripts/build.sh
(cd build && ctest --output-on-failure -j "$jobs" --timeout 900)

if [ "${BNNKIT_SKIP_SANITIZE:-0}" = 1 ]; then
  echo "sanitizer pass skipped (BNNKIT_SKIP_SANITIZE=1)"
  exit 0
fi
start=$(date +%s)
# RelWithDebInfo with -O1 -g1: line-level stack traces, and half the compile time of the default -O2 -g
# (docs/reliability.md has the numbers).
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" \
  -DBNNKIT_SANITIZE=ON -DBNNKIT_BUILD_TRAINING=OFF -DBNNKIT_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build build-asan -j "$jobs" --target bnnkit_tests bnnkit
export ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
echo "sanitizer build (ASan + UBSan): $(($(date +%s) - start)) s; running the suite under it"
cd build-asan
exec ctest --output-on-failure -j "$jobs" --timeout 900
