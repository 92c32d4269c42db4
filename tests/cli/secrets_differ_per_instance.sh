# Two fresh instances get different secrets; a re-render keeps them.
. "$(dirname "$0")/common.inc"
for i in a b; do "$radflare" render --config "$src/rootfs/etc/radflare.toml" --root "$t/$i" >/dev/null; done
s=var/lib/radflare/secrets
for f in admin-password db-password proxy-password; do not cmp -s "$t/a/$s/$f" "$t/b/$s/$f"; done
cp "$t/a/$s/admin-password" "$t/before"
"$radflare" render --config "$src/rootfs/etc/radflare.toml" --root "$t/a" >/dev/null
cmp -s "$t/before" "$t/a/$s/admin-password"
