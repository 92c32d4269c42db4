# tls.mode = "acme": render (first boot) leaves nginx a self-signed placeholder
# pair to serve until issuance (key 0600, recognisably not a real certificate)
# and keeps it on a second render; `radflare renew` needs the supervisor.
. "$(dirname "$0")/common.inc"
printf '[tls]\nmode = "acme"\ndomains = ["pacs.example.com"]\nemail = "ops@example.com"\n' >"$t/acme.toml"
"$radflare" render --config "$t/acme.toml" --root "$t/r" >/dev/null
tls=$t/r/var/lib/radflare/tls
grep -q 'ssl_certificate "/var/lib/radflare/tls/fullchain.pem";' "$t/r/etc/nginx/conf.d/radflare.conf"
[ "$(stat -c %a "$tls/privkey.pem")" = 600 ]
openssl x509 -in "$tls/fullchain.pem" -noout -issuer | grep -q 'Radflare placeholder'
openssl x509 -in "$tls/fullchain.pem" -noout -ext subjectAltName | grep -q 'DNS:pacs.example.com'
[ -d "$t/r/var/lib/radflare/acme-webroot/.well-known/acme-challenge" ]
sum=$(sha256sum "$tls/fullchain.pem")
"$radflare" render --config "$t/acme.toml" --root "$t/r" >/dev/null
[ "$(sha256sum "$tls/fullchain.pem")" = "$sum" ]
expect_exit 4 "$radflare" renew --force --control "$t/none.sock" 2>"$t/err"
grep -q "the supervisor is not running" "$t/err"
