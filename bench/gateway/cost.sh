#!/usr/bin/env bash
# Cost of one request to the gateway, in two load-independent figures (docs/performance.md,
# "Current figures" and "Method", Gateway). Not part of `make bench`'s pass/fail.
#
#   bench/gateway/cost.sh cpu [EVENTS_PER_REQUEST] [PATH]
#       wrk -t2 -c64 for 8 s against a fresh gateway; prints req/s and the CPU time (user, system)
#       per request of each gateway thread and of wrk, from /proc/<pid>/task/*/stat.
#       PATH defaults to /v1/events; /v1/nothing gives the HTTP-only ceiling (same request
#       bytes, answered 404 without parsing or storing).
#   bench/gateway/cost.sh instructions [EVENTS_PER_REQUEST]
#       the gateway under valgrind --tool=callgrind, wrk -t1 -c16 for 15 s; prints user-space
#       instructions per request (start-up included, amortised).
#
# Env: HASHGATE_GATEWAY (default build/bin/hashgate-gateway), HASHGATE_GATEWAY_CONFIG
# (default examples/config/gateway.json), HASHGATE_COST_DATA_DIR (keep the database there across
# runs, e.g. to measure a grown database; default: a fresh temporary one). Needs wrk (and valgrind
# for `instructions`).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${HASHGATE_GATEWAY:-$root/build/bin/hashgate-gateway}
cfg=${HASHGATE_GATEWAY_CONFIG:-$root/examples/config/gateway.json}
mode=${1:?usage: cost.sh cpu|instructions [EVENTS_PER_REQUEST] [PATH]}
per=${2:-1}
path=${3:-/v1/events}
tmp=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
gw=""
cleanup() { [[ -n $gw ]] && kill "$gw" 2>/dev/null && wait "$gw" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
wait_up() {
  for _ in $(seq 1 200); do
    curl -s -o /dev/null "http://127.0.0.1:$port/healthz" && return 0
    sleep 0.1
  done
  echo "cost.sh: the gateway did not come up" >&2
  exit 1
}
lua=$here/events.lua
data=${HASHGATE_COST_DATA_DIR:-$tmp/var}

if [[ $mode == instructions ]]; then
  HASHGATE_PORT=$port HASHGATE_DATA_DIR=$data valgrind --tool=callgrind \
    --callgrind-out-file="$tmp/cg.out" "$bin" --config "$cfg" >"$tmp/gw.log" 2>&1 &
  gw=$!
  wait_up
  out=$(BENCH_NONCE=$RANDOM wrk -t1 -c16 -d15s -s "$lua" "http://127.0.0.1:$port$path" -- "$per" sk_demo)
  kill -TERM "$gw"; wait "$gw" 2>/dev/null || true; gw=""
  reqs=$(grep -o '"requests":[0-9]*' <<<"$out" | grep -o '[0-9]*$')
  ir=$(grep -E '^(summary|totals):' "$tmp/cg.out" | head -1 | awk '{print $2}')
  echo "requests=$reqs instructions=$ir per_request=$((ir / reqs)) per_event=$((ir / reqs / per))"
  exit 0
fi

[[ $mode == cpu ]] || { echo "cost.sh: unknown mode $mode" >&2; exit 64; }
HASHGATE_PORT=$port HASHGATE_DATA_DIR=$data "$bin" --config "$cfg" >"$tmp/gw.log" 2>&1 &
gw=$!
wait_up
snap() { for t in /proc/$1/task/*; do echo "$(cat "$t/comm" | tr ' ' _) $(awk '{print $14, $15}' "$t/stat")"; done; }
BENCH_NONCE=$RANDOM wrk -t2 -c64 -d8s -s "$lua" "http://127.0.0.1:$port$path" -- "$per" sk_demo >"$tmp/wrk.out" &
wrk_pid=$!
sleep 1
snap "$gw" >"$tmp/s0"; w0=$(awk '{print $14 + $15}' /proc/$wrk_pid/stat); t0=$(date +%s.%N)
sleep 6
snap "$gw" >"$tmp/s1"; w1=$(awk '{print $14 + $15}' /proc/$wrk_pid/stat); t1=$(date +%s.%N)
wait "$wrk_pid"
rps=$(grep 'Requests/sec' "$tmp/wrk.out" | awk '{print $2}')
hz=$(getconf CLK_TCK)
n=$(awk -v r="$rps" -v a="$t0" -v b="$t1" 'BEGIN {print r * (b - a)}')
echo "path=$path events_per_request=$per req/s=$rps"
paste "$tmp/s0" "$tmp/s1" | awk -v n="$n" -v hz="$hz" \
  '{printf "  %-18s user %5.1f  system %5.1f  µs per request\n", $1, ($5-$2)*1e6/hz/n, ($6-$3)*1e6/hz/n}'
awk -v n="$n" -v hz="$hz" -v a="$w0" -v b="$w1" 'BEGIN {printf "  %-18s total %5.1f µs per request\n", "wrk", (b-a)*1e6/hz/n}'
