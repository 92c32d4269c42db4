#!/usr/bin/env bash
# Step 20: the OHIF viewer (as built for "/") into /usr/share/radflare/ohif.
# The dist was fetched and checked against the pinned npm integrity on the
# build host, its scripts' comments and whitespace taken out (fetch-ohif.sh);
# first boot lays it out for the configured sub-path (radflare layout-ohif).
set -euo pipefail
say() { echo "20-ohif: $*"; }
STAGE=${RADFLARE_STAGE:-/tmp/radflare-stage}
src=$STAGE/ohif-dist
dst=/usr/share/radflare/ohif

[[ -f $src/index.html ]] || { say "no OHIF dist in $src (index.html missing)" >&2; exit 1; }
if [[ -f $dst/index.html ]] && diff -rq -x '*.gz' "$src" "$dst" >/dev/null 2>&1; then
  say "already installed at $dst"
  exit 0
fi
install -d -m 0755 /usr/share/radflare
rm -rf "$dst.new"
cp -R --no-preserve=ownership "$src" "$dst.new"
# X.gz beside each text asset for nginx's gzip_static, made once here;
# `radflare layout-ohif` links them beside the unchanged files and compresses
# only the few it rewrites.
find "$dst.new" -type f \( -name '*.js' -o -name '*.mjs' -o -name '*.css' -o -name '*.html' -o -name '*.json' \
  -o -name '*.wasm' -o -name '*.svg' -o -name '*.txt' -o -name '*.map' \) -size +1k -print0 \
  | xargs -0 -r -P "$(nproc)" -n 64 gzip -k -9 -n -f
chmod -R u=rwX,go=rX "$dst.new"
rm -rf "$dst.old"
[[ -e $dst ]] && mv "$dst" "$dst.old"
mv "$dst.new" "$dst"
rm -rf "$dst.old"
say "installed at $dst ($(du -sh "$dst" | cut -f1), $(find "$dst" -type f | wc -l) files)"
