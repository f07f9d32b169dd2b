#!/usr/bin/env bash
# Fuzzing with libFuzzer (clang, ASan + UBSan), one target at a time:
#   scripts/fuzz.sh TARGET SECONDS   TARGET: model_load | idx | png | config (a fuzz_ prefix is accepted)
#   scripts/fuzz.sh --seeds          rewrites the seed corpus fuzz/corpus/ from the project's own files
# Builds build-fuzz/ (BNNKIT_FUZZ=ON), runs the target for SECONDS (-max_total_time) with -rss_limit_mb=2048 and
# -timeout=10 on a working corpus build-fuzz/corpus/TARGET (not committed) seeded from fuzz/corpus/TARGET and
# fuzz/regressions/TARGET. Crashes and leaks are minimised, timeouts and OOMs copied, into
# fuzz/regressions/TARGET/, which tests/fuzz_regression_test.cc replays in CI. Prints one summary line
# (executions, coverage, findings); the full log is build-fuzz/logs/TARGET.log. Exits 1 when there were findings.
# Extra libFuzzer flags can be passed in FUZZ_FLAGS (e.g. "-fork=1 -ignore_crashes=1" to keep going past a known
# crash and collect every one); BNNKIT_FUZZ_JOBS sets the build's parallelism (default 2).
set -euo pipefail
cd "$(dirname "$0")/.."
build=build-fuzz
jobs=${BNNKIT_FUZZ_JOBS:-2}

configure() {
  bash scripts/install_deps.sh --fuzz
  CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBNNKIT_FUZZ=ON \
    -DBNNKIT_BUILD_TESTS=OFF -DBNNKIT_BUILD_BENCHMARKS=OFF -DBNNKIT_BUILD_TRAINING=OFF >/dev/null
  cmake --build "$build" -j "$jobs" --target "$@" >/dev/null
}

if [ "${1:-}" = "--seeds" ]; then
  configure fuzz_make_seeds
  rm -rf fuzz/corpus/model_load fuzz/corpus/idx fuzz/corpus/png fuzz/corpus/config
  "$build/bin/fuzz_make_seeds" fuzz/corpus
  mkdir -p fuzz/corpus/config
  cp configs/*.json fuzz/corpus/config/  # the trainer's configs are the config target's seeds
  exit 0
fi
if [ $# -ne 2 ]; then
  echo "usage: scripts/fuzz.sh TARGET SECONDS | --seeds   (TARGET: model_load, idx, png, config)" >&2
  exit 2
fi
target=${1#fuzz_}
seconds=$2
case "$target" in
  model_load) max_len=65536 ;;  # the largest seed (bnn-mlp, 50 KB) fits whole
  idx) max_len=16384 ;;
  png) max_len=16384 ;;
  config) max_len=16384 ;;  # the largest config (fracbnn_resnet20.json) is 2 KB
  *)
    echo "fuzz.sh: unknown target '$1' (model_load, idx, png, config)" >&2
    exit 2
    ;;
esac
configure "fuzz_$target"
bin="$build/bin/fuzz_$target"
work="$build/corpus/$target"
artifacts="$build/artifacts/$target"
regressions="fuzz/regressions/$target"
log="$build/logs/$target.log"
mkdir -p "$work" "$artifacts" "$regressions" "$build/logs" "fuzz/corpus/$target"
rm -f "$artifacts"/*
dict=()
[ -f "fuzz/$target.dict" ] && dict=(-dict="fuzz/$target.dict")  # the key names and choices of a config

set +e
# shellcheck disable=SC2086
"$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len="$max_len" -print_final_stats=1 \
  -artifact_prefix="$artifacts/" "${dict[@]}" ${FUZZ_FLAGS:-} "$work" "fuzz/corpus/$target" "$regressions" \
  >"$log" 2>&1
rc=$?
set -e

findings=0
for f in "$artifacts"/*; do
  [ -e "$f" ] || continue
  name=$(basename "$f")
  findings=$((findings + 1))
  case "$name" in
    crash-* | leak-*)
      # Minimise the first few (a fork-mode run may hit one bug many times); copy the rest as they are.
      if [ "$findings" -gt 3 ]; then
        cp "$f" "$regressions/$name"
        echo "finding: $regressions/$name (not minimised; see $log)"
        continue
      fi
      "$bin" -minimize_crash=1 -max_total_time=120 -timeout=10 -rss_limit_mb=2048 \
        -exact_artifact_path="$regressions/$name" "$f" >>"$build/logs/$target.minimize.log" 2>&1 || true
      [ -e "$regressions/$name" ] || cp "$f" "$regressions/$name"
      ;;
    *) cp "$f" "$regressions/$name" ;;
  esac
  echo "finding: $regressions/$name (see $log)"
done

# Plain mode ends with stat:: lines; fork mode (FUZZ_FLAGS="-fork=1 -ignore_crashes=1") only with "#N: cov: ..."
execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | awk '{print $2}' | tail -n 1 || true)
[ -n "$execs" ] || execs=$(grep -oE '^#[0-9]+' "$log" | tr -d '#' | tail -n 1 || true)
last=$(grep -E '^#[0-9]+' "$log" | grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+(/[0-9a-zA-Z]+)?' | tail -n 1 || true)
echo "fuzz_$target: ${seconds}s, ${execs:-?} executions, ${last:-no coverage line}, $findings finding(s), libFuzzer exit $rc"
[ "$findings" -eq 0 ] && [ "$rc" -eq 0 ]
