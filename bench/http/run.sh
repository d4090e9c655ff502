#!/usr/bin/env bash
# HTTP benchmarks of `caduce serve` with wrk over loopback, on a fresh demo
# database, release build (run by `make bench`, or bench/http/run.sh [BUILD_DIR]):
#   1. GET /api/me with a valid session, as fast as it goes (target >= 20,000 req/s);
#   2. p99 of GET /api/me (about 1,000 req/s) while 20 sign-ins per second run at
#      the production argon2id cost (target <= 20 ms);
#   3. the server's memory per idle keep-alive connection, 10,000 of them
#      (target <= 16 KiB).
# Prints the figures and the machine. wrk and the load helpers share the
# machine's cores with the server. Figures are printed, never asserted.
set -euo pipefail
cd "$(dirname "$0")/../.."
REL=${1:-build/release}
CADUCE=$REL/src/cli/caduce
PY=/usr/bin/python3
HERE=bench/http
DURATION=${BENCH_HTTP_SECONDS:-10}
IDLE=${BENCH_HTTP_IDLE:-10000}
[ -x "$CADUCE" ] || { echo "bench/http: $CADUCE missing (make build-release)"; exit 1; }
command -v wrk >/dev/null || { echo "bench/http: wrk missing (apt-get install wrk)"; exit 1; }

ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
WORK=$(mktemp -d /tmp/caduce-bench-http.XXXXXX)
SERVER=
cleanup() {
  if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "machine: $(nproc) processors, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), \
$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), $(uname -sr), $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)"

"$CADUCE" --db "$WORK/caduce.db" init --demo >/dev/null
PORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$WORK/caduce.conf" <<CONF
listen = 127.0.0.1:$PORT
db = $WORK/caduce.db
web_dir = $WORK/no-web
max_connections = 20000
max_connections_per_ip = 0
CONF
# The access log goes to a file (one line per request, as in production).
CADUCE_DATA_DIR=$PWD/data "$CADUCE" serve --config "$WORK/caduce.conf" \
  >"$WORK/server.out" 2>"$WORK/access.log" &
SERVER=$!
for _ in $(seq 100); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
kill -0 "$SERVER" || { cat "$WORK/server.out" "$WORK/access.log"; exit 1; }
echo "server: $(head -1 "$WORK/server.out")"

PERSONS=(claire.petit@chu-demo.fr jean.dupont@chu-demo.fr sophie.martin@chu-demo.fr lucas.bernard@chu-demo.fr)
# The first sign-in of each person rehashes the demo's cheap hash at the production cost.
for p in "${PERSONS[@]}"; do $PY $HERE/load.py signin "$PORT" "$p" Caduce-Essai-2026 >/dev/null; done
TOKEN=$($PY $HERE/load.py signin "$PORT" jean.dupont@chu-demo.fr Caduce-Essai-2026)
COOKIE="Cookie: caduce_session=$TOKEN"
curl -fsS -H "$COOKIE" "http://127.0.0.1:$PORT/api/me" >/dev/null

# The server's CPU time so far (all threads, user and system), in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER/stat"; }

echo
echo "1. GET /api/me with a valid session, wrk -t2 -c64 -d${DURATION}s (target >= 20,000 req/s)"
echo "   (load average before: $(cut -d' ' -f1-3 /proc/loadavg))"
CPU_BEFORE=$(cpu_ticks)
wrk -t2 -c64 -d"${DURATION}s" --latency -H "$COOKIE" "http://127.0.0.1:$PORT/api/me" \
  | tee "$WORK/me.txt" | grep -E 'Requests/sec|Latency|50%|99%|Non-2xx|Socket errors'
CPU_AFTER=$(cpu_ticks)
# The server's CPU per request depends little on what else runs on the machine,
# unlike the rate, which shares the cores with wrk and with other load.
REQUESTS=$(awk '/requests in/ {print $1}' "$WORK/me.txt")
awk -v t="$((CPU_AFTER - CPU_BEFORE))" -v hz="$(getconf CLK_TCK)" -v n="$REQUESTS" \
  'BEGIN { printf "  server CPU: %.1f us per request (%.2f s for %d requests)\n", t / hz * 1e6 / n, t / hz, n }'
echo "   (load average after: $(cut -d' ' -f1-3 /proc/loadavg))"

echo
echo "2. GET /api/me at about 1,000 req/s while 20 sign-ins/s run (target p99 <= 20 ms)"
cat >"$WORK/paced.lua" <<'LUA'
-- Each connection waits 10 ms between its requests: about 100 req/s per connection.
function delay() return 10 end
LUA
$PY $HERE/load.py signins "$PORT" 20 "$DURATION" "${PERSONS[@]}" >"$WORK/signins.txt" &
SIGNINS=$!
sleep 1  # let the sign-ins reach their pace
wrk -t1 -c10 -d"$((DURATION - 2))s" --latency -s "$WORK/paced.lua" -H "$COOKIE" \
  "http://127.0.0.1:$PORT/api/me" | tee "$WORK/paced.txt" \
  | grep -E 'Requests/sec|Latency  |50%|90%|99%|Non-2xx|Socket errors'
wait "$SIGNINS" || echo "(some sign-ins failed)"
cat "$WORK/signins.txt"

echo
echo "3. Memory per idle keep-alive connection, $IDLE connections (target <= 16 KiB)"
$PY $HERE/load.py idle "$PORT" "$IDLE" "$SERVER"
