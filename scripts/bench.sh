#!/usr/bin/env bash
# Runs every benchmark of the release build; each prints its figures and the machine.
set -uo pipefail
REL=${1:-build/release}
cd "$(dirname "$0")/.."
rc=0
for b in "$REL"/bench/bench_*; do
  [ -x "$b" ] || continue
  echo "== ${b##*/}"
  "$b" || rc=1
done
# The HTTP server under wrk (bench/http/run.sh: starts `caduce serve` itself).
echo "== bench/http"
bash bench/http/run.sh "$REL" || rc=1
exit $rc
