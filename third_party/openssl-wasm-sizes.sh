#!/usr/bin/env bash
# Measures what OpenSSL's digests cost in a standalone wasm, for each cached libcrypto variant
# (built by openssl-wasm.sh, with and without -DOPENSSL_SMALL_FOOTPRINT): SHA-256 alone;
# SHA-256 + SHA-1 + MD5 through the low-level API; and the one-shot EVP path for contrast.
# Usage: third_party/openssl-wasm-sizes.sh   (prints a Markdown table; numbers go to docs/web.md)
set -euo pipefail
cd "$(dirname "$0")"
export NODE_PATH="${NODE_PATH:-/usr/share/nodejs}"
small=$(./openssl-wasm.sh)
unrolled=$(HASHGATE_OPENSSL_SMALL_FOOTPRINT=0 ./openssl-wasm.sh)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cat >"$work/sha256.c" <<'C'
#include <openssl/sha.h>
unsigned char in[64], out[32];
__attribute__((export_name("run"))) int run(int n) {
  SHA256_CTX c; SHA256_Init(&c); SHA256_Update(&c, in, n); SHA256_Final(out, &c); return out[0];
}
C
cat >"$work/three.c" <<'C'
#include <openssl/md5.h>
#include <openssl/sha.h>
unsigned char in[64], out[32];
__attribute__((export_name("run"))) int run(int n) {
  SHA256_CTX a; SHA256_Init(&a); SHA256_Update(&a, in, n); SHA256_Final(out, &a);
  SHA_CTX b; SHA1_Init(&b); SHA1_Update(&b, in, n); SHA1_Final(out, &b);
  MD5_CTX c; MD5_Init(&c); MD5_Update(&c, in, n); MD5_Final(out, &c); return out[0];
}
C
cat >"$work/evp.c" <<'C'
#include <openssl/evp.h>
unsigned char in[64], out[32];
__attribute__((export_name("run"))) int run(int n) {
  unsigned int len = 0; EVP_Digest(in, n, out, &len, EVP_sha256(), NULL); return out[0];
}
C
gz() { gzip -9 -c "$1" | wc -c; }
echo "| program | libcrypto | wasm bytes | gzip -9 bytes |"
echo "|---|---|---:|---:|"
for prog in sha256 three evp; do
  for variant in small unrolled; do
    dir=${!variant}
    out="$work/$prog-$variant.wasm"
    emcc -Oz -sSTANDALONE_WASM --no-entry -sFILESYSTEM=0 -sMALLOC=emmalloc -I"$dir/include" \
      "$work/$prog.c" "$dir/lib/libcrypto.a" -o "$out" 2>"$work/err" || { echo "| $prog | $variant | link failed | |"; continue; }
    echo "| $prog | $variant | $(stat -c %s "$out") | $(gz "$out") |"
  done
done
