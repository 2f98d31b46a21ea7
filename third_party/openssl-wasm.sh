#!/usr/bin/env bash
# Builds OpenSSL's libcrypto for WebAssembly (Emscripten) from Debian's own source package, once,
# and caches it outside the tree in ~/.cache/hashgate/openssl-wasm-<version>-<recipe hash>/
# ({include,lib/libcrypto.a}). Prints that directory on stdout; progress goes to stderr.
# Usage: third_party/openssl-wasm.sh            (idempotent: a cache hit returns at once)
# Env:   HASHGATE_CACHE_DIR (default ~/.cache/hashgate), JOBS (default 2),
#        HASHGATE_OPENSSL_SMALL_FOOTPRINT=0 to build without -DOPENSSL_SMALL_FOOTPRINT (for the
#        size comparison in docs/web.md; cached separately)
set -euo pipefail

k_pin_version="3.0.20-1~deb12u2"   # Debian source version tried first (bookworm-security)
jobs="${JOBS:-2}"
cache_root="${HASHGATE_CACHE_DIR:-$HOME/.cache/hashgate}"
export NODE_PATH="${NODE_PATH:-/usr/share/nodejs}"  # emscripten's acorn optimizer needs it

# Everything that shapes the output is in this file, so its hash keys the cache.
recipe_hash=$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-10)

# Configure options, measured (see docs/web.md): only libcrypto is built, nothing that needs an
# OS service a browser lacks (sockets, threads, dlopen, engines, the console UI).
k_configure_opts=(
  linux-generic32 no-asm no-threads no-shared no-dso no-engine no-afalgeng no-tests
  no-ui-console no-sock no-async no-autoload-config no-secure-memory
  no-comp no-ct no-ocsp no-srp no-cms no-ts no-rfc3779 no-srtp no-dgram no-psk
  no-idea no-mdc2 no-rc5 no-seed no-whirlpool no-camellia no-aria no-sm2 no-sm3 no-sm4
  no-cast no-bf no-rc2 no-rc4 no-md4 no-rmd160 no-siphash no-blake2 no-scrypt
  no-ec2m no-gost no-ssl no-tls no-dtls no-filenames
)
# -DOPENSSL_SMALL_FOOTPRINT: rolled loops in SHA-1/SHA-256/MD5 (smaller wasm, measured).
k_cflags="-Oz -DOPENSSL_SMALL_FOOTPRINT"
variant=""
if [[ "${HASHGATE_OPENSSL_SMALL_FOOTPRINT:-1}" == 0 ]]; then
  k_cflags="-Oz"
  variant="-unrolled"
fi

log() { echo "openssl-wasm: $*" >&2; }
upstream_of() { local v=${1%%-*}; echo "${v#*:}"; }

out_dir_for() { echo "$cache_root/openssl-wasm-$(upstream_of "$1")-$recipe_hash$variant"; }

# Cache hit for the pinned version: nothing to do.
out=$(out_dir_for "$k_pin_version")
if [[ -f $out/lib/libcrypto.a && -f $out/include/openssl/sha.h ]]; then
  echo "$out"
  exit 0
fi

for tool in emcc emar emranlib apt-get perl; do
  command -v "$tool" >/dev/null || { log "missing tool: $tool (run scripts/deps.sh)"; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/openssl-wasm.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

# Fetch the source package: the pin first, then the newest version whose .dsc downloads
# (the security pocket's newest .dsc can 404).
fetch() { apt-get source --download-only "openssl=$1" >"$work/apt.log" 2>&1; }
version=""
if fetch "$k_pin_version"; then
  version=$k_pin_version
else
  log "pinned openssl=$k_pin_version not downloadable; trying other versions"
  mapfile -t candidates < <(apt-cache showsrc openssl 2>/dev/null | awk '/^Version:/{print $2}' |
                            sort -V -r -u)
  for v in "${candidates[@]}"; do
    rm -f ./*.dsc ./*.tar.* 2>/dev/null || true
    if fetch "$v"; then version=$v; break; fi
  done
fi
[[ -n $version ]] || { log "could not download any openssl source package (deb-src enabled?)"; exit 1; }
upstream=$(upstream_of "$version")
out=$(out_dir_for "$version")
if [[ -f $out/lib/libcrypto.a ]]; then echo "$out"; exit 0; fi
log "building OpenSSL $upstream (Debian $version) for wasm into $out"

# Verify the orig tarball against the .dsc's Checksums-Sha256.
dsc=$(ls ./*.dsc)
tarball="openssl_${upstream}.orig.tar.gz"
want=$(awk -v f="$tarball" '/^Checksums-Sha256:/{s=1;next} /^[^ ]/{s=0} s && $3==f {print $1}' "$dsc")
have=$(sha256sum "$tarball" | cut -d' ' -f1)
if [[ -z $want || $want != "$have" ]]; then
  log "sha256 mismatch for $tarball (want ${want:-none}, have $have)"
  exit 1
fi
log "verified $tarball sha256 $have"

tar -xzf "$tarball"
cd "openssl-$upstream"

# Configure with emcc as CC; build with CROSS_COMPILE= (emmake would double the prefix).
CC=emcc AR=emar RANLIB=emranlib CFLAGS="$k_cflags" \
  ./Configure "${k_configure_opts[@]}" --prefix=/nonexistent >"$work/configure.log" 2>&1 || {
  tail -20 "$work/configure.log" >&2; exit 1; }
make -j"$jobs" CROSS_COMPILE= build_generated >"$work/make.log" 2>&1 || { tail -30 "$work/make.log" >&2; exit 1; }
make -j"$jobs" CROSS_COMPILE= libcrypto.a >>"$work/make.log" 2>&1 || { tail -30 "$work/make.log" >&2; exit 1; }

# Install atomically: build into a temp dir next to the cache, then rename.
mkdir -p "$cache_root"
stage=$(mktemp -d "$cache_root/.stage.XXXXXX")
mkdir -p "$stage/include" "$stage/lib"
cp -r include/openssl "$stage/include/"
cp libcrypto.a "$stage/lib/"
printf 'debian_version=%s\nsha256=%s\nconfigure=%s\ncflags=%s\n' \
  "$version" "$have" "${k_configure_opts[*]}" "$k_cflags" >"$stage/BUILDINFO"
rm -rf "$out"
mv "$stage" "$out"
log "done: $(du -h "$out/lib/libcrypto.a" | cut -f1) libcrypto.a"
echo "$out"
