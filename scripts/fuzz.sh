#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang and runs each for FUZZ_SECONDS
# (default 20) on its seed corpus. Last line: "fuzz: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
FUZZ=build/fuzz
seconds=${FUZZ_SECONDS:-20}
CC=clang CXX=clang++ cmake -S . -B "$FUZZ" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCADUCE_BUILD_FUZZERS=ON -DCADUCE_BUILD_TESTS=OFF >/dev/null || { echo "fuzz: 0 passed, 1 failed"; exit 1; }
# Only the fuzz targets (and the libraries they need), not the whole project.
targets=$(cd fuzz && ls *_fuzz.cc | sed -e 's/_fuzz\.cc$//' -e 's/^/fuzz_/')
ninja -C "$FUZZ" $targets >/dev/null || { echo "fuzz: 0 passed, 1 failed"; exit 1; }
passed=0; failed=0
for bin in "$FUZZ"/fuzz/fuzz_*; do
  [ -x "$bin" ] || continue
  name=${bin##*/fuzz_}
  corpus=$(mktemp -d)
  [ -d "fuzz/corpus/$name" ] && cp -r "fuzz/corpus/$name/." "$corpus/"
  if "$bin" -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=2048 -artifact_prefix="$FUZZ/crash-$name-" \
       "$corpus" >"$FUZZ/$name.log" 2>&1; then
    echo "fuzz_$name: ok ($(grep -o 'stat::number_of_executed_units:[[:space:]]*[0-9]*' "$FUZZ/$name.log" | awk '{print $2}') runs in ${seconds}s)" >&2
    passed=$((passed + 1))
  else
    echo "fuzz_$name: FAILED, see $FUZZ/$name.log" >&2
    tail -n 30 "$FUZZ/$name.log" >&2
    failed=$((failed + 1))
  fi
  rm -rf "$corpus"
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
