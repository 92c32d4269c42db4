#!/usr/bin/env bash
## OHIF files precompressed (NAME.gz beside each, for the rendered gzip_static on);
## nginx gzip_types + application/dicom+json (QIDO and series metadata);
## Orthanc MaximumPduLength 131072 (C-STORE).
#
# The hand-tuning the benchmark measured, as edits of a rendered tree: what
# the renderers should emit (see bench/README.md, "Tuning"). Durability is
# untouched (fsync, synchronous_commit, SyncStorageArea stay on).
#   BENCH_TUNE=bench/tuning/recommended.sh make bench
#   bash bench/tuning/recommended.sh ROOT       (a `radflare render --root` tree)
set -euo pipefail
root=$1

# Orthanc: DIMSE PDUs of 128 KB instead of 16 KB (fewer round trips per instance).
conf=$root/etc/radflare/orthanc/orthanc.json
jq '.MaximumPduLength = 131072' "$conf" >"$conf.new" && cat "$conf.new" >"$conf" && rm "$conf.new"

# nginx: compress DICOM JSON on the fly too (a series' metadata: 377 KB -> 9 KB).
site=$root/etc/nginx/conf.d/radflare.conf
sed -i 's#^\( *gzip_types .*\);$#\1 application/dicom+json;#' "$site"
grep -q 'gzip_types .*application/dicom+json;' "$site"

# OHIF: precompressed files, so gzip_static serves them without compressing
# 17 MB of JavaScript on every first visit (~0.8 s of CPU here).
ohif=$root/var/lib/radflare/www/ohif
if [[ -d $ohif ]]; then
  # shellcheck disable=SC2016  # $1 belongs to the inner sh
  find "$ohif" -type f -size +1k \( -name '*.js' -o -name '*.mjs' -o -name '*.css' -o -name '*.wasm' \
    -o -name '*.json' -o -name '*.svg' -o -name '*.html' \) -print0 |
    xargs -0 -P "$(nproc)" -I{} sh -c 'gzip -9 -c "$1" >"$1.gz"' sh {}
fi
