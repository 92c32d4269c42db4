#!/usr/bin/env bash
# Step 30: the supervisor package (make deb: installs /usr/bin/radflare).
# apt resolves its shared-library dependencies. When the staged package does
# not install here (built on Debian 12, it depends on Debian's library
# versions; Ubuntu 24.04 has others) and the stage carries the source
# (radflare-src.tar.gz, the AMI's stage), the package is built here from that
# source first, and the build tools are removed again.
# RADFLARE_BUILD_FROM_SOURCE=1 takes that path even when the package fits.
set -euo pipefail
say() { echo "30-radflare: $*"; }
STAGE=${RADFLARE_STAGE:-/tmp/radflare-stage}
deb=$STAGE/radflare.deb
src=$STAGE/radflare-src.tar.gz
export DEBIAN_FRONTEND=noninteractive
# What a build needs besides the runtime libraries (README: scripts/install-deps.sh).
BUILD_DEPS="cmake g++ make pkg-config dpkg-dev file libsystemd-dev libpq-dev libcpp-httplib-dev libspdlog-dev
  libfmt-dev libtomlplusplus-dev nlohmann-json3-dev doctest-dev libssl-dev zlib1g-dev"

[[ -f $deb ]] || { say "no package at $deb" >&2; exit 1; }
# apt wants a path with a slash; copy so that _apt can read it.
tmp=$(mktemp -d /tmp/radflare-deb.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
chmod 0755 "$tmp"
cp "$deb" "$tmp/radflare.deb" && chmod 0644 "$tmp/radflare.deb"

# Builds radflare.deb from the staged source into $tmp, replacing the staged one.
build_from_source() {
  local before added
  say "building the package from the staged source ($(. /etc/os-release && echo "$PRETTY_NAME"))"
  before=$(dpkg-query -W -f='${Package}\n' | sort)
  # shellcheck disable=SC2086  # a word list
  apt-get install -y -qq --no-install-recommends $BUILD_DEPS >"$tmp/apt-build.log" 2>&1 \
    || { tail -n 40 "$tmp/apt-build.log"; exit 1; }
  added=$(comm -13 <(echo "$before") <(dpkg-query -W -f='${Package}\n' | sort))
  mkdir "$tmp/src"
  tar -xzf "$src" -C "$tmp/src"
  cmake -S "$tmp/src" -B "$tmp/build" -DCMAKE_BUILD_TYPE=Release -DRADFLARE_BUILD_TESTS=OFF >"$tmp/cmake.log" 2>&1 \
    || { tail -n 40 "$tmp/cmake.log"; exit 1; }
  say "compiling ($(nproc) jobs)"
  cmake --build "$tmp/build" -j "$(nproc)" >"$tmp/make.log" 2>&1 || { tail -n 60 "$tmp/make.log"; exit 1; }
  (cd "$tmp/build" && cpack -G DEB >"$tmp/cpack.log" 2>&1) || { tail -n 40 "$tmp/cpack.log"; exit 1; }
  local built=("$tmp"/build/radflare_*.deb)
  cp "${built[0]}" "$tmp/radflare.deb"
  chmod 0644 "$tmp/radflare.deb"
  rm -rf "$tmp/src" "$tmp/build"
  BUILD_ADDED=$added
  say "built radflare $(dpkg-deb -f "$tmp/radflare.deb" Version) for this system"
}
# The build tools leave the image again: what the build added is marked
# automatic, and autoremove takes all of it but the libraries radflare uses.
BUILD_ADDED=
remove_build_tools() {
  [[ -n $BUILD_ADDED ]] || return 0
  # shellcheck disable=SC2086  # a word list
  apt-mark auto $BUILD_ADDED >/dev/null
  apt-get autoremove --purge -y -qq >"$tmp/autoremove.log" 2>&1 || { tail -n 20 "$tmp/autoremove.log"; exit 1; }
  say "build tools removed again ($(wc -w <<<"$BUILD_ADDED") packages added for the build)"
}

fits() { apt-get install -s -qq --no-install-recommends "$tmp/radflare.deb" >"$tmp/simulate.log" 2>&1; }
if [[ ${RADFLARE_BUILD_FROM_SOURCE:-} == 1 ]] || ! fits; then
  if [[ ! -f $src ]]; then
    say "the package does not install on this system and the stage has no source to build it from:" >&2
    sed 's/^/  /' "$tmp/simulate.log" >&2
    exit 1
  fi
  [[ ${RADFLARE_BUILD_FROM_SOURCE:-} == 1 ]] || say "the staged package does not install here ($(grep -m1 -o 'Depends: [^ ]*' "$tmp/simulate.log" || echo "unmet dependencies"))"
  build_from_source
fi

want=$(dpkg-deb -f "$tmp/radflare.deb" Version)
have=$(dpkg-query -W -f='${Version}' radflare 2>/dev/null || true)
# Same version and every file of the package already in place (binary,
# plugins, status page assets): nothing to do.
if [[ $have == "$want" ]] && dpkg-deb --fsys-tarfile "$tmp/radflare.deb" | tar -d -C / >/dev/null 2>&1; then
  say "radflare $want already installed"
  remove_build_tools
  exit 0
fi
apt-get install -y -qq --no-install-recommends --reinstall "$tmp/radflare.deb" >"$tmp/apt.log" 2>&1 \
  || { tail -n 40 "$tmp/apt.log"; exit 1; }
say "installed radflare $(radflare version 2>/dev/null || echo "$want") at $(command -v radflare)"
remove_build_tools
