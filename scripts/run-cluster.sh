#!/usr/bin/env bash
# make run-cluster: 3 mock Kafka brokers (hashgate-kafka-mock), 2 gateway replicas on ports
# BASE and BASE+1, and one sink serving the export on BASE+2 (default BASE 8080), all from
# examples/config/gateway-kafka.json. Ctrl-C stops everything. docs/deploy.md has the real set-up.
set -euo pipefail
cd "$(dirname "$0")/.."
base=${HASHGATE_PORT:-8080}
bin=build/bin
work=$(mktemp -d)
pids=()
stop() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap stop EXIT INT TERM

# The mock runs until its stdin closes: give it a pipe that stays open while this script runs.
mkfifo "$work/mock.in"
"$bin/hashgate-kafka-mock" --brokers 3 --partitions 3 <"$work/mock.in" >"$work/mock.out" &
pids+=($!)
exec 3>"$work/mock.in"
until [[ -s $work/mock.out ]]; do sleep 0.05; done
brokers=$(head -1 "$work/mock.out")

node -e '
  const fs = require("fs");
  const cfg = JSON.parse(fs.readFileSync("examples/config/gateway-kafka.json", "utf8"));
  cfg.store.brokers = process.argv[1];
  fs.writeFileSync(process.argv[2], JSON.stringify(cfg, null, 2));
' "$brokers" "$work/gateway.json"
mkdir -p var/cluster-sink

HASHGATE_PORT=$base "$bin/hashgate-gateway" --config "$work/gateway.json" & pids+=($!)
HASHGATE_PORT=$((base + 1)) "$bin/hashgate-gateway" --config "$work/gateway.json" & pids+=($!)
HASHGATE_PORT=$((base + 2)) "$bin/hashgate-gateway" --config "$work/gateway.json" --sink & pids+=($!)
echo "run-cluster: brokers $brokers"
echo "run-cluster: replicas http://127.0.0.1:$base and http://127.0.0.1:$((base + 1)) (events, opt-outs)"
echo "run-cluster: sink http://127.0.0.1:$((base + 2)) (GET /v1/events/export, /v1/audit with sk_demo)"
wait -n
