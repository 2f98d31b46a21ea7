#!/usr/bin/env bash
# Instructions per request of one Kafka-mode replica (issue 17, docs/performance.md "Kafka mode"),
# a load-independent figure (this machine has no hardware counters for perf): the replica runs
# under valgrind --tool=callgrind, its counters zeroed once it is ready and dumped when wrk ends, wrk -t1 -c16
# sends single-event POSTs to PATH for SECONDS, and the user-space instructions of all its
# threads (I/O, librdkafka's, the delivery-report poller) are divided by the requests wrk
# completed. PATH /v1/nothing gives the same server's HTTP-only cost (same request bytes,
# answered 404 without parsing or producing). The callgrind profile is copied to KEEP_DIR when given.
#
#   bench/gateway/kafka_cost.sh [PATH] [SECONDS] [KEEP_DIR]   (defaults: /v1/events 15)
#
# Env: HASHGATE_BIN_DIR (default build/bin). Needs valgrind, wrk.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${HASHGATE_BIN_DIR:-$root/build/bin}
path=${1:-/v1/events}
secs=${2:-15}
keep=${3:-}
tmp=$(mktemp -d)
mock="" gw=""
cleanup() {
  [[ -n $gw ]] && kill "$gw" 2>/dev/null && wait "$gw" 2>/dev/null
  [[ -n $mock ]] && exec 3>&- && wait "$mock" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
mkfifo "$tmp/mock.in"
"$bin/hashgate-kafka-mock" --brokers 3 --partitions 3 <"$tmp/mock.in" >"$tmp/mock.out" 2>/dev/null &
mock=$!
exec 3>"$tmp/mock.in"
for _ in $(seq 1 100); do [[ -s $tmp/mock.out ]] && break; sleep 0.1; done
brokers=$(head -1 "$tmp/mock.out")
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 - "$root" "$brokers" "$port" "$tmp/gw.json" <<'PY'
import json, sys
root, brokers, port, out = sys.argv[1:]
cfg = json.load(open(f"{root}/examples/config/gateway-kafka.json"))
cfg["store"]["brokers"] = brokers
cfg["listen"]["port"] = int(port)
cfg["static"] = {k: f"{root}/{v}" for k, v in cfg["static"].items()}
json.dump(cfg, open(out, "w"))
PY
HASHGATE_PORT=$port valgrind --tool=callgrind \
  --callgrind-out-file="$tmp/cg.out" "$bin/hashgate-gateway" --config "$tmp/gw.json" >"$tmp/gw.log" 2>&1 &
gw=$!
for _ in $(seq 1 600); do
  [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz") == 200 ]] && break
  sleep 0.1
done
callgrind_control -z "$gw" >/dev/null 2>&1  # count from here
out=$(BENCH_NONCE=$RANDOM wrk -t1 -c16 -d"${secs}s" -s "$here/events.lua" "http://127.0.0.1:$port$path" -- 1 sk_demo)
callgrind_control -d "$gw" >/dev/null 2>&1  # to here: $tmp/cg.out.1
kill -TERM "$gw"; wait "$gw" 2>/dev/null || true; gw=""
reqs=$(grep -o '"requests":[0-9]*' <<<"$out" | grep -o '[0-9]*$')
ins=$(grep -E '^(summary|totals):' "$tmp/cg.out.1" | head -1 | awk '{print $2}')
echo "path=$path requests=$reqs instructions=$ins per_request=$((ins / reqs))"
if [[ -n $keep ]]; then mkdir -p "$keep" && cp "$tmp/cg.out.1" "$keep/callgrind.out"; fi
