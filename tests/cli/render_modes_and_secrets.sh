# render writes secrets 0600 and secret-bearing configs without world access;
# no secret value is ever printed.
. "$(dirname "$0")/common.inc"
"$radflare" render --config "$src/rootfs/etc/radflare.toml" --root "$t/r" >"$t/out" 2>&1
[ "$(stat -c %a "$t/r/var/lib/radflare/secrets/admin-password")" = 600 ]
[ "$(stat -c %a "$t/r/etc/radflare/orthanc/credentials.json")" = 640 ]
[ "$(stat -c %a "$t/r/etc/nginx/radflare-users.conf")" = 600 ]
for s in "$t"/r/var/lib/radflare/secrets/*; do not grep -qF "$(cat "$s")" "$t/out"; done
