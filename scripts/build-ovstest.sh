#!/usr/bin/env bash
# Builds Open vSwitch's test driver `ovstest` (tests/ovstest) from Debian's openvswitch source and
# prints its path. The binary is cached: a second run prints the cached path at once.
#
#   scripts/build-ovstest.sh            # build (or reuse) and print the path of ovstest
#   OVSTEST_CACHE=DIR scripts/build-ovstest.sh
#
# Source: `apt-get source openvswitch` when a deb-src line is configured, otherwise the
# openvswitch-source package (/usr/src/openvswitch/openvswitch.tar.gz), the same Debian source with its
# patches applied. Build dependencies come from apt-get. The build is OVS's own:
# ./configure && make tests/ovstest (about 10 minutes on 2 cores).
set -euo pipefail

cache="${OVSTEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/datapath/ovstest}"
bin="$cache/ovstest"
if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi

SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
log() { echo "build-ovstest: $*" >&2; }

mkdir -p "$cache"
work="$cache/src"   # kept until the binary is built, so an interrupted build resumes

deps=(build-essential autoconf automake libtool python3)
missing=()
for p in "${deps[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing build dependencies: ${missing[*]}"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

srcdir="$(find "$work" -maxdepth 1 -mindepth 1 -type d 2>/dev/null | head -n1 || true)"
if [ -z "$srcdir" ] || [ ! -f "$srcdir/Makefile" ]; then
  rm -rf "$work"
  mkdir -p "$work"
  # Prefer `apt-get source` (needs a deb-src entry); fall back to the openvswitch-source package.
  if (cd "$work" && apt-get source -qq openvswitch >/dev/null 2>&1); then
    srcdir="$(find "$work" -maxdepth 1 -mindepth 1 -type d -name 'openvswitch-*' | head -n1)"
    log "using apt-get source: $srcdir"
  else
    tarball="$(ls /usr/src/openvswitch/openvswitch.tar.* 2>/dev/null | head -n1 || true)"
    if [ -z "$tarball" ]; then
      log "no deb-src configured; installing openvswitch-source"
      $SUDO apt-get install -y -qq --no-install-recommends openvswitch-source >/dev/null
      tarball="$(ls /usr/src/openvswitch/openvswitch.tar.* | head -n1)"
    fi
    log "using $tarball ($(dpkg-query -W -f='${Version}' openvswitch-source))"
    tar -xf "$tarball" -C "$work"
    srcdir="$(find "$work" -maxdepth 1 -mindepth 1 -type d | head -n1)"
  fi
  [ -n "$srcdir" ] && [ -f "$srcdir/configure.ac" ] || { log "no Open vSwitch source tree found under $work"; exit 2; }
  (
    cd "$srcdir"
    [ -x ./configure ] || { log "running boot.sh"; ./boot.sh >"$cache/boot.log" 2>&1; }
    log "configuring (log: $cache/configure.log)"
    ./configure --disable-ssl >"$cache/configure.log" 2>&1
  )
else
  log "resuming the build in $srcdir"
fi

cd "$srcdir"
# The generated headers (odp-netlink.h, ...) are BUILT_SOURCES: `make all` makes them first, a
# single target does not, so make them first (in one make with the target, -j races them).
built="$(printf 'print-built-sources:\n\t@echo $(BUILT_SOURCES)\n' | make -s -f Makefile -f - print-built-sources)"
log "make tests/ovstest (log: $cache/make.log)"
{ make -j"$(nproc)" $built && make -j"$(nproc)" tests/ovstest; } >"$cache/make.log" 2>&1 || { log "make failed; the last lines of $cache/make.log:"; tail -n 20 "$cache/make.log" >&2; exit 2; }
# tests/ovstest may be a libtool wrapper; the real binary then is tests/.libs/ovstest. The default
# configure builds static libraries, so tests/ovstest is the binary itself.
cp tests/ovstest "$bin.tmp"
mv "$bin.tmp" "$bin"
git_version="$(dpkg-query -W -f='${Version}' openvswitch-source 2>/dev/null || true)"
echo "${git_version:-apt-get source} $(date -u +%Y-%m-%dT%H:%MZ)" >"$cache/VERSION"
rm -rf "$work"
echo "$bin"
