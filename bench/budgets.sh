#!/usr/bin/env bash
# Budget check of issue 6: prints each figure next to its budget and exits 1 when one is missed.
# Artefacts: web/dist, build/bin/hashgate{,-gateway}, or HASHGATE_WEB_DIST, HASHGATE_GATEWAY,
# HASHGATE_CLI (the benches honour the same variables). Sizes are measured here; speed figures
# are read from bench/out/*.json, and a bench whose JSON is missing is run first.
# Usage: bench/budgets.sh  (make budgets)
set -uo pipefail
cd "$(dirname "$0")/.."
out=bench/out
export NODE_PATH=${NODE_PATH:-/usr/share/nodejs}

misses=0
checked=0
row() { printf '%-44s %14s %14s  %s\n' "$1" "$2" "$3" "$4"; }
# check NAME VALUE OP LIMIT UNIT: compares with awk (floats), prints the row, counts a miss.
check() {
  local name=$1 value=$2 op=$3 limit=$4 unit=${5:-}
  checked=$((checked + 1))
  if [[ -z $value || $value == null || $value == undefined ]]; then
    row "$name" "missing" "$op $limit$unit" "MISS (no figure)"
    misses=$((misses + 1)); return
  fi
  if awk -v v="$value" -v l="$limit" -v op="$op" 'BEGIN { exit !((op == ">=") ? (v >= l) : (v <= l)) }'; then
    row "$name" "$value$unit" "$op $limit$unit" "ok"
  else
    row "$name" "$value$unit" "$op $limit$unit" "MISS"
    misses=$((misses + 1))
  fi
}
# json FILE EXPR: evaluates a JS expression over the parsed file (as `j`), rounded to 2 decimals.
json() {
  node -e '
    const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const v = eval(process.argv[2]);
    console.log(typeof v === "number" ? v.toFixed(2) : String(v));' "$1" "$2" 2>/dev/null
}
# ensure FILE CMD...: runs the bench that writes FILE when FILE is missing.
ensure() {
  local file=$1; shift
  if [[ ! -f $file && -z ${BENCH_NO_RERUN:-} ]]; then
    echo "budgets: $file missing, running: $*" >&2
    "$@" >&2 || echo "budgets: '$*' failed; its figures count as missed" >&2
  fi
}
# official FILE KEY PATH: a figure counts only if measured on the artefact this check is about.
official() {
  local got; got=$(json "$1" "j.$2")
  if [[ -f $1 && $(realpath -m "$got") != $(realpath -m "$3") ]]; then
    echo "budgets: $1 was measured on $got, not $3; re-run the bench with the same HASHGATE_* settings" >&2
    return 1
  fi
}

row "budget" "measured" "limit" ""
# 1. Sizes of the web artefacts, gzip -9 (issue 3: both budgets are gzipped; raw shown too).
# The artefacts measured: the defaults, or the same overrides the benches honour.
dist=$(realpath -m "${HASHGATE_WEB_DIST:-web/dist}")
gateway_bin=$(realpath -m "${HASHGATE_GATEWAY:-build/bin/hashgate-gateway}")
cli_bin=$(realpath -m "${HASHGATE_CLI:-build/bin/hashgate}")
onb_bin=$(realpath -m "${HASHGATE_ONBOARDING_BENCH:-build/bin/hashgate_onboarding_bench}")
snippet=$dist/hashgate.min.js
esm=$dist/hashgate.mjs
if [[ -f $snippet ]]; then
  check "snippet hashgate.min.js, gzip -9 (bytes)" "$(gzip -9 -c "$snippet" | wc -c)" "<=" 16384
  row "  (hashgate.min.js raw, for information)" "$(wc -c <"$snippet")" "" ""
else check "snippet hashgate.min.js, gzip -9 (bytes)" "" "<=" 16384; fi
if [[ -f $esm ]]; then
  check "hashgate.mjs, gzip -9 (bytes)" "$(gzip -9 -c "$esm" | wc -c)" "<=" 28672
  row "  (hashgate.mjs raw, for information)" "$(wc -c <"$esm")" "" ""
else check "hashgate.mjs, gzip -9 (bytes)" "" "<=" 28672; fi

# 2. SDK speed under Node and in Chromium.
ensure $out/sdk-node.json node bench/sdk/node.mjs
ensure $out/sdk-chromium.json node bench/sdk/browser.mjs
for rt in node chromium; do
  f=$out/sdk-$rt.json
  if official "$f" module "$esm"; then
    check "sdk/$rt hashBatch vs hash-wasm (x)" "$(json "$f" j.ratios.batch_vs_hash_wasm)" ">=" 4
    check "sdk/$rt hash (single) vs hash-wasm (x)" "$(json "$f" j.ratios.single_vs_hash_wasm)" ">=" 1
  else
    check "sdk/$rt hashBatch vs hash-wasm (x)" "" ">=" 4
    check "sdk/$rt hash (single) vs hash-wasm (x)" "" ">=" 1
  fi
done

# 3. Gateway against nginx and fastify, single-event POSTs.
f=$out/gateway.json
ensure "$f" node bench/gateway/run.mjs
if official "$f" gateway "$gateway_bin"; then
  check "gateway single req/s vs nginx (x)" "$(json "$f" j.ratios.single_vs_nginx_req)" ">=" 0.35
  check "gateway single req/s vs fastify (x)" "$(json "$f" j.ratios.single_vs_fastify_req)" ">=" 2
else
  check "gateway single req/s vs nginx (x)" "" ">=" 0.35
  check "gateway single req/s vs fastify (x)" "" ">=" 2
fi

# 4. CLI hash-file against Python csv + hashlib.
f=$out/cli.json
ensure "$f" python3 bench/cli/run.py
if official "$f" cli "$cli_bin"; then
  check "hash-file vs python (x)" "$(json "$f" j.ratio_vs_python)" ">=" 10
else
  check "hash-file vs python (x)" "" ">=" 10
fi

# 5. Onboarding match (issue 14): 1M-member audience x 5M-link graph, against the faster of the
# sqlite3 shell and Python sets; under 10 s in memory and with the inputs read from SQLite.
f=$out/onboarding.json
ensure "$f" python3 bench/onboarding/run.py
if official "$f" program "$onb_bin"; then
  check "match vs faster peer, wall (x)" "$(json "$f" j.ratio_vs_faster_peer)" ">=" 2
  check "match 1M x 5M, wall (s)" "$(json "$f" j.hashgate_match_s)" "<=" 10
  check "match 1M x 5M read from SQLite, wall (s)" "$(json "$f" j.hashgate_sqlite_total_s)" "<=" 10
else
  check "match vs faster peer, wall (x)" "" ">=" 2
  check "match 1M x 5M, wall (s)" "" "<=" 10
  check "match 1M x 5M read from SQLite, wall (s)" "" "<=" 10
fi

# 6. Private set intersection (issue 15): blind + reblind per element against the same steps with
# @noble/curves (both on every core), and 1,000,000 x 1,000,000 rows end to end on this machine.
f=$out/psi.json
ensure "$f" node bench/psi/run.mjs
if official "$f" cli "$cli_bin"; then
  check "psi blind+reblind vs @noble/curves (x)" "$(json "$f" j.ratio_vs_noble)" ">=" 10
  check "psi 1M x 1M rows end to end (s)" "$(json "$f" 'j.e2e.rows >= 1000000 ? j.e2e.seconds : null')" "<=" 180
else
  check "psi blind+reblind vs @noble/curves (x)" "" ">=" 10
  check "psi 1M x 1M rows end to end (s)" "" "<=" 180
fi

# 6. Kafka mode (issue 17): one replica against 3 mock brokers on this machine, beside nginx and
# fastify with the same wrk settings; opt-out propagation between two replicas. The mock brokers'
# CPU share is printed for information (they share the machine's cores).
f=$out/kafka.json
ensure "$f" node bench/gateway/kafka.mjs
if official "$f" gateway "$gateway_bin"; then
  check "kafka replica single req/s vs fastify (x)" "$(json "$f" j.ratios.single_vs_fastify_req)" ">=" 2
  check "kafka replica single req/s vs nginx (x)" "$(json "$f" j.ratios.single_vs_nginx_req)" ">=" 0.5
  check "kafka opt-out propagation p99 (ms)" "$(json "$f" j.propagation.p99_ms)" "<=" 1000
  row "  (kafka batch100 events/s, for information)" "$(json "$f" j.results.kafka.batch100.events_per_s)" "" ""
  row "  (mock brokers' CPU share, single run)" "$(json "$f" '100 * j.results.kafka.single.cpu.mock.share_of_machine')%" "" ""
else
  check "kafka replica single req/s vs fastify (x)" "" ">=" 2
  check "kafka replica single req/s vs nginx (x)" "" ">=" 0.5
  check "kafka opt-out propagation p99 (ms)" "" "<=" 1000
fi

if ((misses)); then
  echo "budgets: $misses of $checked budgets MISSED"
  exit 1
fi
echo "budgets: all $checked budgets met"
