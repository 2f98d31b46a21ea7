#!/usr/bin/env bash
# Unpacks the headers of Debian's libphonenumber-dev, the same version as the installed runtime
# libphonenumber8, into a cache outside the tree: ~/.cache/hashgate/libphonenumber-dev-<version>/
# (include/phonenumbers/...). Prints that directory on stdout; progress goes to stderr.
#
# Why not `apt-get install libphonenumber-dev`: on bookworm it depends on libboost-thread-dev,
# i.e. Boost 1.74, whose -dev packages conflict with libboost1.81-dev, which Beast needs.
# The library itself (libphonenumber8) has no Boost dependency (it was built with the POSIX
# singletons), so only the -dev package is fetched (`apt-get download`, verified by apt
# against the signed archive) and unpacked with `dpkg-deb -x`; nothing is installed from it.
# docs/pii-guard.md says how to switch to the installed package when the Boost versions align.
#
# Usage: third_party/libphonenumber-dev.sh   (idempotent: a cache hit returns at once)
# Env:   HASHGATE_CACHE_DIR (default ~/.cache/hashgate)
set -euo pipefail

cache_root="${HASHGATE_CACHE_DIR:-$HOME/.cache/hashgate}"
log() { echo "libphonenumber-dev: $*" >&2; }

version=$(dpkg-query -W -f='${Version}' libphonenumber8 2>/dev/null || true)
if [[ -z $version ]]; then
  log "libphonenumber8 is not installed (run scripts/deps.sh)"
  exit 1
fi
upstream=${version%%+*}
upstream=${upstream%%-*}
out="$cache_root/libphonenumber-dev-$upstream"
if [[ -f $out/.complete && -f $out/include/phonenumbers/phonenumbermatcher.h ]]; then
  echo "$out"
  exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/libphonenumber-dev.XXXXXX")
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"  # apt's sandbox user must be able to write the download here
log "fetching libphonenumber-dev=$version"
(cd "$work" && apt-get download -q "libphonenumber-dev=$version" >"$work/apt.log" 2>&1) || {
  log "apt-get download failed:"
  cat "$work/apt.log" >&2
  exit 1
}
deb=$(ls "$work"/libphonenumber-dev_*.deb)
dpkg-deb -x "$deb" "$work/root"
rm -rf "$out"
mkdir -p "$out"
mv "$work/root/usr/include" "$out/include"  # keeps the package's file times
cp "$work/root/usr/share/doc/libphonenumber-dev/copyright" "$out/copyright"
echo "$version" >"$out/version"
touch "$out/.complete"
log "headers in $out/include"
echo "$out"
