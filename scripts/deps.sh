#!/usr/bin/env bash
# Installs what hashgate needs on Debian 12 (bookworm), as root. Idempotent and quiet when
# nothing is missing. Usage: scripts/deps.sh [all|bench]
set -euo pipefail
cd "$(dirname "$0")/.."

# Build, test and run dependencies (Debian packages only).
pkgs=(
  build-essential cmake pkg-config git ca-certificates curl openssl python3 dpkg-dev ccache
  clang libclang-rt-14-dev llvm clang-format
  libssl-dev libsqlite3-dev sqlite3 libboost1.81-dev nlohmann-json3-dev librdkafka-dev libmimalloc-dev
  libsodium-dev libsimdjson-dev
  libphonenumber8 libprotobuf-dev libabsl-dev
  googletest libgtest-dev
  emscripten binaryen
  chromium
)
if [[ "${1:-all}" == bench ]]; then pkgs+=(wrk nginx-light); fi
command -v node >/dev/null 2>&1 || pkgs+=(nodejs npm)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed || missing+=("$p")
done

# deb-src entries: the OpenSSL wasm build takes Debian's own openssl source package.
src_list=/etc/apt/sources.list.d/hashgate-deb-src.sources
need_update=0
if [[ ! -f $src_list ]]; then
  cat >"$src_list" <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  need_update=1
fi

if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
elif ((need_update)); then
  apt-get update -qq
fi

# libphonenumber's headers: libphonenumber-dev itself would pull Boost 1.74 over libboost1.81-dev,
# so its .deb is unpacked into ~/.cache/hashgate instead (docs/pii-guard.md).
third_party/libphonenumber-dev.sh >/dev/null

# npm packages from the committed lockfile; reinstall only when the lockfile changed.
stamp=node_modules/.hashgate-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ ! -f $stamp || "$(cat "$stamp")" != "$want" ]]; then
  echo "deps: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" >"$stamp"
fi
