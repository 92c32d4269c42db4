#!/usr/bin/env bash
# Fetch the prebuilt OHIF viewer (@ohif/app, pinned) from npm into a cache and
# extract its dist/ once; then make the copy the appliance serves, with every
# script's comments and whitespace taken out. Used by the host integration
# tests, the benchmark and the image build.
#   usage: fetch-ohif.sh             -> prints the served directory on the last line
#          fetch-ohif.sh --pristine  -> prints the dist as npm ships it (the seed's)
# Why the served copy: the npm dist is not minified (a third of the 17.4 MB
# app bundle is comments and whitespace), and a browser parses every byte
# before the viewer runs. terser without compress and mangle only prints the
# same syntax tree again: every name and statement stays, 11.5 MB instead of
# 17.4, licence comments kept. First image in a fresh headless Chromium over
# loopback: ~0.88 of the pristine dist's (bench/README.md). terser and its
# dependencies come from image/ohif-minify/package-lock.json (integrity pinned).
# The OHIF tarball is checked against a pinned sha512 integrity (the string npm
# records in package-lock.json), so a changed or truncated download fails.
set -euo pipefail

OHIF_VERSION=3.13.2
OHIF_INTEGRITY='sha512-WZdxmpmG7rqFgW9ZJLcbgr3XCtLi1KDNPoMaeY5PPe6j4G4fjEjjkycZM6C6Zk2F87BKxFfpq+jd5xXZB9E8EA=='

want=served
case ${1:-} in
  --pristine) want=dist ;;
  '') ;;
  *) echo "usage: fetch-ohif.sh [--pristine]" >&2; exit 2 ;;
esac

repo=$(cd "$(dirname "$0")/../.." && pwd)
cache=${RADFLARE_CACHE:-$repo/build/cache}
tgz=$cache/ohif-app-$OHIF_VERSION.tgz
out=$cache/ohif-$OHIF_VERSION
dist=$out/dist
minify=$repo/image/ohif-minify
# The served tree is named by the minifier's lock: a new terser makes a new tree.
served=$out/served-$(sha256sum "$minify/package-lock.json" | cut -c1-12)

say() { echo "fetch-ohif: $*" >&2; }

ready() { [[ -f $out/.complete && ( $want == dist || -f $served.complete ) ]]; }
result() { if [[ $want == dist ]]; then echo "$dist"; else echo "$served"; fi; }
if ready; then
  say "OHIF $OHIF_VERSION already prepared in $out"
  result
  exit 0
fi

mkdir -p "$cache"
# The nspawn rootfs and the VM image may fetch at the same time (make test
# runs their tiers side by side): one at a time, the second finds it done.
exec 8>"$cache/.ohif.lock"
flock 8
if ready; then
  say "OHIF $OHIF_VERSION already prepared in $out"
  result
  exit 0
fi

# Compute the integrity string of a file: "sha512-" + base64(raw digest).
integrity_of() { echo "sha512-$(openssl dgst -sha512 -binary "$1" | base64 -w0)"; }

# The npm tarball of PACKAGE@VERSION, at TGZ, checked against INTEGRITY.
fetch_verified() {  # PACKAGE VERSION INTEGRITY TGZ
  local package=$1 version=$2 integrity=$3 tgz=$4 got tmp
  if [[ -f $tgz && $(integrity_of "$tgz") != "$integrity" ]]; then
    say "cached tarball $tgz does not match the pinned integrity; fetching again"
    rm -f "$tgz"
  fi
  if [[ ! -f $tgz ]]; then
    say "fetching $package@$version with npm pack ..."
    tmp=$(mktemp -d "$cache/.pack.XXXXXX")
    # --ignore-scripts: we only want the tarball, nothing runs.
    (cd "$tmp" && npm pack --silent --ignore-scripts "$package@$version" >/dev/null) || { rm -rf "$tmp"; return 1; }
    mv "$tmp"/*.tgz "$tgz"
    rm -rf "$tmp"
  fi
  got=$(integrity_of "$tgz")
  if [[ $got != "$integrity" ]]; then
    say "INTEGRITY MISMATCH for $tgz"
    say "  expected $integrity"
    say "  got      $got"
    rm -f "$tgz"
    return 1
  fi
  say "integrity ok ($tgz)"
}

# Everything is built in a temporary folder and renamed, so an interrupted
# run never leaves a half-made tree that a later run would take as complete.
if [[ ! -f $out/.complete ]]; then
  fetch_verified @ohif/app "$OHIF_VERSION" "$OHIF_INTEGRITY" "$tgz"   # about 60 MB
  rm -rf "$out" "$out.partial"
  mkdir -p "$out.partial"
  say "extracting package/dist ..."
  tar -xzf "$tgz" -C "$out.partial" --strip-components=1 package/dist
  touch "$out.partial/.complete"
  mv "$out.partial" "$out"
  say "OHIF $OHIF_VERSION extracted at $dist ($(du -sh "$dist" | cut -f1))"
fi

if [[ $want == served && ! -f $served.complete ]]; then
  work=$out/.served.partial
  rm -rf "$served" "$work"
  mkdir -p "$work/terser"
  cp "$minify/package.json" "$minify/package-lock.json" "$work/terser/"
  say "installing terser from image/ohif-minify/package-lock.json ..."
  (cd "$work/terser" && npm ci --ignore-scripts --no-audit --no-fund --silent)
  # A copy, not hard links: the minified scripts replace files, and tests lay
  # out hard links of both trees side by side.
  cp -a "$dist" "$work/tree"
  mapfile -t scripts < <(cd "$work/tree" && find . -type f \( -name '*.js' -o -name '*.mjs' \) | sort)
  say "taking comments and whitespace out of ${#scripts[@]} scripts (terser, no compress, no mangle) ..."
  # No -c, no -m: parse and print only. Each output is written beside its
  # script and renamed over it, so a failure leaves no half-written file.
  # shellcheck disable=SC2016  # $1, $2 are sh -c's own arguments
  printf '%s\0' "${scripts[@]}" | (cd "$work/tree" && xargs -0 -P "$(nproc)" -I{} \
    sh -c '"$1" "$2" --comments some -o "$2.min" && mv -f "$2.min" "$2"' minify "$work/terser/node_modules/.bin/terser" {})
  mv "$work/tree" "$served"
  rm -rf "$work"
  touch "$served.complete"
  say "OHIF $OHIF_VERSION as served at $served (scripts $(cd "$dist" && du -ch --apparent-size "${scripts[@]}" | tail -n1 | cut -f1) -> $(cd "$served" && du -ch --apparent-size "${scripts[@]}" | tail -n1 | cut -f1))"
fi

result
