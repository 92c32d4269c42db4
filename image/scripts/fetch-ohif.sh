#!/usr/bin/env bash
# Fetch the prebuilt OHIF viewer (@ohif/app, pinned) from npm into a cache and
# extract its dist/ once. Used by the host integration test and the image build.
#   usage: fetch-ohif.sh            -> prints the dist directory on the last line
# The tarball is checked against the pinned sha512 integrity (the same string
# npm records in package-lock.json), so a changed or truncated download fails.
set -euo pipefail

OHIF_VERSION=3.13.2
OHIF_INTEGRITY='sha512-WZdxmpmG7rqFgW9ZJLcbgr3XCtLi1KDNPoMaeY5PPe6j4G4fjEjjkycZM6C6Zk2F87BKxFfpq+jd5xXZB9E8EA=='

repo=$(cd "$(dirname "$0")/../.." && pwd)
cache=${RADFLARE_CACHE:-$repo/build/cache}
tgz=$cache/ohif-app-$OHIF_VERSION.tgz
dist=$cache/ohif-$OHIF_VERSION/dist

say() { echo "fetch-ohif: $*" >&2; }

if [[ -f $dist/index.html && -f $cache/ohif-$OHIF_VERSION/.complete ]]; then
  say "OHIF $OHIF_VERSION already extracted at $dist"
  echo "$dist"
  exit 0
fi

mkdir -p "$cache"
# The nspawn rootfs and the VM image may fetch at the same time (make test
# runs their tiers side by side): one at a time, the second finds it done.
exec 8>"$cache/.ohif.lock"
flock 8
if [[ -f $dist/index.html && -f $cache/ohif-$OHIF_VERSION/.complete ]]; then
  say "OHIF $OHIF_VERSION already extracted at $dist"
  echo "$dist"
  exit 0
fi

# Compute the integrity string of a file: "sha512-" + base64(raw digest).
integrity_of() { echo "sha512-$(openssl dgst -sha512 -binary "$1" | base64 -w0)"; }

if [[ -f $tgz && $(integrity_of "$tgz") != "$OHIF_INTEGRITY" ]]; then
  say "cached tarball $tgz does not match the pinned integrity; fetching again"
  rm -f "$tgz"
fi

if [[ ! -f $tgz ]]; then
  say "fetching @ohif/app@$OHIF_VERSION with npm pack (about 60 MB) ..."
  tmp=$(mktemp -d "$cache/.pack.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  # --ignore-scripts: we only want the tarball, nothing runs.
  (cd "$tmp" && npm pack --silent --ignore-scripts "@ohif/app@$OHIF_VERSION" >/dev/null)
  mv "$tmp"/ohif-app-"$OHIF_VERSION".tgz "$tgz"
fi

got=$(integrity_of "$tgz")
if [[ $got != "$OHIF_INTEGRITY" ]]; then
  say "INTEGRITY MISMATCH for $tgz"
  say "  expected $OHIF_INTEGRITY"
  say "  got      $got"
  rm -f "$tgz"
  exit 1
fi
say "integrity ok ($tgz)"

# Extract into a temporary folder and rename, so an interrupted run never
# leaves a half-extracted dist that a later run would take as complete.
out=$cache/ohif-$OHIF_VERSION
rm -rf "$out" "$out.partial"
mkdir -p "$out.partial"
say "extracting package/dist ..."
tar -xzf "$tgz" -C "$out.partial" --strip-components=1 package/dist
touch "$out.partial/.complete"
mv "$out.partial" "$out"
say "OHIF $OHIF_VERSION ready at $dist ($(du -sh "$dist" | cut -f1))"
echo "$dist"
