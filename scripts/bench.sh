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
exit $rc
