#!/usr/bin/env bash
# Builds and runs the delivery bench (bench/deliver/deliver_bench.cpp) on the native build and
# writes bench/out/deliver.json. Usage: bench/deliver/run.sh [--events N] [--batch B]
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p bench/out
cmake --preset native >/dev/null
cmake --build build -j2 --target hashgate_deliver_bench >/dev/null
build/bin/hashgate_deliver_bench --json bench/out/deliver.json "$@"
