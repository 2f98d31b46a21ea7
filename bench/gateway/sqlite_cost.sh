#!/usr/bin/env bash
# User-space instructions per stored event in SQLite alone (the store's `events` table, group
# commits of 32, synchronous=FULL), for each choice of secondary index. Not part of `make bench`.
#   bench/gateway/sqlite_cost.sh [ROWS]      (default 50000; needs g++, libsqlite3-dev, valgrind)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
rows=${1:-50000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
g++ -O2 -std=c++20 -o "$tmp/sqlite_cost" "$here/sqlite_cost.cpp" -lsqlite3
for variant in 0 2 1 3; do
  rm -f "$tmp"/db*
  valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" \
    "$tmp/sqlite_cost" "$tmp/db" "$variant" "$rows" >/dev/null 2>"$tmp/vg.log"
  ir=$(grep -E '^(summary|totals):' "$tmp/cg.out" | head -1 | awk '{print $2}')
  case $variant in
    0) name="UNIQUE(tenant, event_id) only" ;;
    1) name="+ (tenant, received)" ;;
    2) name="+ (tenant, uid) WHERE uid <> ''" ;;
    3) name="+ both" ;;
  esac
  printf '%-34s %8d instructions per event\n' "$name" $((ir / rows))
done
