#!/usr/bin/env bash
# Runs every benchmark (SDK under Node and Chromium, gateway, CLI, psi, onboarding match),
# then the budget check.
# Each bench prints its table and writes bench/out/<name>.json; a failed bench leaves its JSON
# absent so budgets.sh reports the figure as missed. Usage: bench/run.sh  (make bench)
set -uo pipefail
cd "$(dirname "$0")/.."
export NODE_PATH=${NODE_PATH:-/usr/share/nodejs}
mkdir -p bench/out
echo "bench: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
status=0
run() {
  local json=$1; shift
  rm -f "bench/out/$json"
  echo; echo "== $*"
  "$@" || { echo "bench: '$*' failed" >&2; status=1; }
}
run sdk-node.json node bench/sdk/node.mjs
run sdk-chromium.json node bench/sdk/browser.mjs
run gateway.json node bench/gateway/run.mjs
run kafka.json node bench/gateway/kafka.mjs
run cli.json python3 bench/cli/run.py
run psi.json node bench/psi/run.mjs
run onboarding.json python3 bench/onboarding/run.py
echo; echo "== bench/budgets.sh (load average now $(cut -d' ' -f1-3 /proc/loadavg))"
BENCH_NO_RERUN=1 bench/budgets.sh || status=1
exit $status
