# diff: exit 0 right after a render, 3 with a unified diff after an edit;
# files holding secrets are named, never shown.
. "$(dirname "$0")/common.inc"
"$radflare" render --config "$src/rootfs/etc/radflare.toml" --root "$t/r" >/dev/null
"$radflare" diff --config "$src/rootfs/etc/radflare.toml" --root "$t/r" | grep -q "no changes"
sed 's/^aet = "RADFLARE"/aet = "NEWAET"/' "$src/rootfs/etc/radflare.toml" >"$t/new.toml"
expect_exit 3 "$radflare" diff --config "$t/new.toml" --root "$t/r" >"$t/diff"
grep -A1 '^-  "DicomAet": "RADFLARE",$' "$t/diff" | grep -q '^+  "DicomAet": "NEWAET",$'
grep -qx "a reload would restart orthanc.service" "$t/diff"  # and nothing else
rm "$t/r/etc/nginx/radflare-users.conf"
expect_exit 3 "$radflare" diff --config "$t/new.toml" --root "$t/r" >"$t/diff"
grep -q "holds secrets" "$t/diff"
not grep -qF "$(cat "$t/r/var/lib/radflare/secrets/admin-password")" "$t/diff"
grep -qx "a reload would restart orthanc.service, reload nginx.service" "$t/diff"
