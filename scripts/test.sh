#!/usr/bin/env bash
# Builds caduce with AddressSanitizer and UndefinedBehaviorSanitizer and runs every
# test suite, then prints one summary line per suite. Exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."

DEV=build/dev
summary=()
failed=0

cmake -S . -B "$DEV" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCADUCE_SANITIZE=ON >/dev/null || exit 1
ninja -C "$DEV" || exit 1

# Suite 1: C++ unit and integration tests (ctest).
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest_log=$(mktemp)
(cd "$DEV" && ctest --output-on-failure -j2 2>&1) | tee "$ctest_log"
ctest_rc=${PIPESTATUS[0]}
line=$(grep -E "tests passed, [0-9]+ tests failed out of" "$ctest_log" | tail -n 1)
summary+=("ctest: ${line:-no summary (ctest exit $ctest_rc)}")
[ "$ctest_rc" -eq 0 ] || failed=1
rm -f "$ctest_log"

# Web UI: Vitest unit tests of the UI logic, the bundle budget, then the end-to-end
# walk in Debian's Chromium against a real `caduce serve` (tests/e2e/run.mjs).
if [ -f web/package.json ]; then
  web_json=$(mktemp)
  (cd web && npx vitest run --reporter=default --reporter=json --outputFile="$web_json" 2>&1)
  web_rc=$?
  web_line=$(node -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));console.log(`web: ${r.numPassedTests} passed, ${r.numFailedTests} failed`)' "$web_json" 2>/dev/null)
  summary+=("${web_line:-web: no summary (vitest exit $web_rc)}")
  [ "$web_rc" -eq 0 ] || failed=1
  rm -f "$web_json"
  bundle_line=$(node web/scripts/bundle-size.mjs 2>&1)
  bundle_rc=$?
  echo "$bundle_line"
  summary+=("$(echo "$bundle_line" | head -n 1)")
  [ "$bundle_rc" -eq 0 ] || failed=1
  e2e_log=$(mktemp)
  CADUCE_BIN="${CADUCE_BIN:-$DEV/src/cli/caduce}" node tests/e2e/run.mjs 2>&1 | tee "$e2e_log"
  e2e_rc=${PIPESTATUS[0]}
  e2e_line=$(grep -E "^e2e: [0-9]+ passed, [0-9]+ failed" "$e2e_log" | tail -n 1)
  summary+=("${e2e_line:-e2e: no summary (exit $e2e_rc)}")
  [ "$e2e_rc" -eq 0 ] || failed=1
  rm -f "$e2e_log"
fi

# Suite 1c: a JMAP client written by others (jmap-jam) against a real `caduce serve`.
if [ -f tests/jmap/client/run.mjs ]; then
  jmap_log=$(mktemp)
  CADUCE_BIN="${CADUCE_BIN:-$DEV/src/cli/caduce}" node tests/jmap/client/run.mjs 2>&1 | tee "$jmap_log"
  jmap_rc=${PIPESTATUS[0]}
  jmap_line=$(grep -E "^jmap client: [0-9]+ passed, [0-9]+ failed" "$jmap_log" | tail -n 1)
  summary+=("${jmap_line:-jmap client: no summary (exit $jmap_rc)}")
  [ "$jmap_rc" -eq 0 ] || failed=1
  rm -f "$jmap_log"
fi

# Suite 2: fuzzers, a bounded run each (libFuzzer, clang).
if [ -f fuzz/CMakeLists.txt ]; then
  fuzz_log=$(mktemp)
  FUZZ_SECONDS="${FUZZ_SECONDS:-20}" bash scripts/fuzz.sh >"$fuzz_log"
  fuzz_rc=$?
  cat "$fuzz_log"
  summary+=("$(tail -n 1 "$fuzz_log")")
  [ "$fuzz_rc" -eq 0 ] || failed=1
  rm -f "$fuzz_log"
fi

echo
echo "== summary =="
for s in "${summary[@]}"; do echo "$s"; done
exit $failed
