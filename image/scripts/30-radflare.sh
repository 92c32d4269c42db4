#!/usr/bin/env bash
# Step 30: the supervisor package (make deb: installs /usr/bin/radflare).
# apt resolves its shared-library dependencies.
set -euo pipefail
say() { echo "30-radflare: $*"; }
STAGE=${RADFLARE_STAGE:-/tmp/radflare-stage}
deb=$STAGE/radflare.deb
export DEBIAN_FRONTEND=noninteractive

[[ -f $deb ]] || { say "no package at $deb" >&2; exit 1; }
want=$(dpkg-deb -f "$deb" Version)
have=$(dpkg-query -W -f='${Version}' radflare 2>/dev/null || true)
# Same version and every file of the package already in place (binary,
# plugins, status page assets): nothing to do.
if [[ $have == "$want" ]] && dpkg-deb --fsys-tarfile "$deb" | tar -d -C / >/dev/null 2>&1; then
  say "radflare $want already installed"
  exit 0
fi
# apt wants a path with a slash; copy so that _apt can read it.
tmp=$(mktemp -d /tmp/radflare-deb.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cp "$deb" "$tmp/radflare.deb" && chmod 0755 "$tmp" && chmod 0644 "$tmp/radflare.deb"
apt-get install -y -qq --no-install-recommends --reinstall "$tmp/radflare.deb" >"$tmp/apt.log" 2>&1 \
  || { tail -n 40 "$tmp/apt.log"; exit 1; }
say "installed radflare $(radflare version 2>/dev/null || echo "$want") at $(command -v radflare)"
