#!/usr/bin/env bash
# Builds the web package into web/dist/: OpenSSL libcrypto for wasm (cached recipe), the two wasm
# modules (cmake preset `wasm`), then hashgate.mjs, hashgate.min.js and hashgate.d.ts with the
# wasm embedded. Idempotent. Prints raw and gzipped sizes and fails over budget.
# Env: HASHGATE_WASM_BUILD_DIR (default build-wasm), JOBS (default 2).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export NODE_PATH="${NODE_PATH:-/usr/share/nodejs}"  # emscripten's acorn optimizer
jobs="${JOBS:-2}"
bdir="${HASHGATE_WASM_BUILD_DIR:-$root/build-wasm}"

[[ -f node_modules/terser/package.json ]] || { echo "web: terser missing: run scripts/deps.sh" >&2; exit 1; }

ossl=$(third_party/openssl-wasm.sh)
echo "web: OpenSSL wasm at $ossl"

# MinSizeRel's -Os is cleared: with emcc 3.1.6 any -Os/-Oz on a command line turns inlining off,
# whatever -O follows; sdk/wasm/CMakeLists.txt sets the levels (docs/performance.md, "What was tried").
cmake --preset wasm -B "$bdir" -DHASHGATE_OPENSSL_WASM_DIR="$ossl" -DCMAKE_CXX_FLAGS_MINSIZEREL=-DNDEBUG >/dev/null
cmake --build "$bdir" -j"$jobs" --target hashgate_wasm_full hashgate_wasm_snippet

mkdir -p "$bdir/opt"
for m in full snippet; do
  # emcc already ran wasm-opt; a second -Oz pass with stripping squeezes a little more.
  # The full module uses wasm SIMD (its batch SHA-256); the snippet must not.
  feat=(); [[ $m == full ]] && feat=(--enable-simd)
  wasm-opt "${feat[@]}" -Oz --strip-debug --strip-producers "$bdir/bin/hashgate-$m.wasm" -o "$bdir/opt/hashgate-$m.wasm" 2>/dev/null ||
    wasm-opt "${feat[@]}" -Oz --strip-debug "$bdir/bin/hashgate-$m.wasm" -o "$bdir/opt/hashgate-$m.wasm"
done

node web/src/assemble.mjs "$bdir/opt/hashgate-full.wasm" "$bdir/opt/hashgate-snippet.wasm" web/dist
