#!/usr/bin/env bash
# Appliance test, HTTPS with ACME run by the supervisor, against real
# components: the provisioned rootfs booted under systemd-nspawn
# (tests/appliance/lib.sh) with tls.mode = "acme", and pebble (Let's
# Encrypt's test CA, 5-minute certificates) + pebble-challtestsrv (its DNS:
# every name resolves to the container) on the host side of the veth.
#   (a) issuance with real http-01 validation against the appliance's nginx;
#       HTTPS presents a certificate chaining to pebble's root;
#   (b) renewal on schedule (a third of the lifetime left) while a client
#       requests over HTTPS continuously: the serial changes, 0 failures;
#   (c) challenge made to fail, then pebble stopped: the old certificate is
#       served, retries follow the backoff (1 min, 10 min, 100 min), the
#       status shows the cause; pebble back: the certificate is renewed;
#   (d) an unreachable directory URL is reported; the site stays up.
#
#   bash tests/appliance/acme_tier.sh RADFLARE_BINARY SOURCE_DIR
set -euo pipefail

# shellcheck source=tests/appliance/lib.sh
source "$(dirname "$0")/lib.sh"  # re-runs this script in a private mount namespace; sets RADFLARE, SRC
for c in pebble pebble-challtestsrv openssl; do
  command -v "$c" >/dev/null || fail "missing command $c (scripts/install-deps.sh)"
done

# pebble and challtestsrv die with the test, whatever happens.
PEBBLE_PID='' CHALL_PID='' LOOP_PID=''
stop_bg() {
  local p
  for p in $LOOP_PID $PEBBLE_PID $CHALL_PID; do kill "$p" 2>/dev/null || true; done
  for p in $LOOP_PID $PEBBLE_PID $CHALL_PID; do wait "$p" 2>/dev/null || true; done
}
acme_cleanup() {
  local rc=$?
  stop_bg
  (exit "$rc")
  cleanup
}
trap acme_cleanup EXIT

# The layer cache beside the binary (build/cache for build/, the default):
# another tier building from another build dir prunes the layers it does not
# use, which would pull the rootfs from under this container's overlay.
export RADFLARE_CACHE=${RADFLARE_CACHE:-$(dirname "$RADFLARE")/cache}
rf_build_image
rf_setup_network
export no_proxy=$no_proxy,$HOST_IP NO_PROXY=$NO_PROXY,$HOST_IP

C=a
DOMAIN=pacs.radflare.test
TOML=$T/$C/root/etc/radflare.toml
P=$T/pebble
mkdir -p "$P"

# ------------------------------------------------------------------ pebble
# Debian's pebble ships no certificate for its own HTTPS endpoint: a small CA
# and a certificate for $HOST_IP (the appliance trusts it via tls.acme_ca_bundle).
{
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=radflare test ACME endpoint CA" \
    -keyout "$P/ca.key" -out "$P/ca.pem"
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=pebble" -keyout "$P/key.pem" -out "$P/csr.pem"
  openssl x509 -req -in "$P/csr.pem" -CA "$P/ca.pem" -CAkey "$P/ca.key" -CAcreateserial -days 2 \
    -extfile <(printf 'subjectAltName=IP:%s,IP:127.0.0.1,DNS:localhost\n' "$HOST_IP") -out "$P/cert.pem"
} >"$T/log/pebble-ca.log" 2>&1 || fail "openssl: pebble's endpoint certificate" "$T/log/pebble-ca.log"
cat >"$P/config.json" <<JSON
{"pebble": {"listenAddress": "$HOST_IP:14000", "managementListenAddress": "$HOST_IP:15000",
  "certificate": "$P/cert.pem", "privateKey": "$P/key.pem", "httpPort": 80, "tlsPort": 443,
  "ocspResponderURL": "", "externalAccountBindingRequired": false, "certificateValidityPeriod": 300}}
JSON
DIRECTORY=https://$HOST_IP:14000/dir
CHALL=http://$HOST_IP:8055

start_pebble() {
  PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0 \
    pebble -config "$P/config.json" -dnsserver "$HOST_IP:8053" >>"$T/log/pebble.log" 2>&1 </dev/null &
  PEBBLE_PID=$!
  for _ in $(seq 100); do
    curl -s --cacert "$P/ca.pem" -o /dev/null "$DIRECTORY" && return 0
    sleep 0.1
  done
  fail "pebble did not answer on $DIRECTORY" "$T/log/pebble.log"
}
stop_pebble() { kill "$PEBBLE_PID"; wait "$PEBBLE_PID" 2>/dev/null || true; PEBBLE_PID=; }
# pebble makes a new root at every start: fetch it from its management API.
pebble_root() { curl -sS --fail --cacert "$P/ca.pem" "https://$HOST_IP:15000/roots/0" >"$P/root.pem"; }
dns_points_to() { curl -sS --fail -o /dev/null -d "{\"ip\":\"$1\"}" "$CHALL/set-default-ipv4"; }

pebble-challtestsrv -dns01 "$HOST_IP:8053" -http01 "" -https01 "" -tlsalpn01 "" -management "$HOST_IP:8055" \
  -defaultIPv4 "$CT_IP" -defaultIPv6 "" >>"$T/log/challtestsrv.log" 2>&1 </dev/null &
CHALL_PID=$!
start_pebble
for _ in $(seq 50); do curl -s -o /dev/null "$CHALL/" && break; sleep 0.1; done
pebble_root || fail "pebble's management API did not give its root" "$T/log/pebble.log"
ok "pebble on $DIRECTORY (300 s certificates), challtestsrv DNS: every name -> $CT_IP"

# ---------------------------------------------------------------- helpers
state() { in_ct "$C" cat /run/radflare/state.json; }
tls() { state | jq -r ".tls.$1"; }
journal() { in_ct "$C" journalctl --no-pager -o short-unix -u radflare.service "$@"; }
dump_journal() { journal -n 80 >"$T/log/radflare.log" 2>&1 || true; echo "$T/log/radflare.log"; }
https() {  # PATH [CURL ARGS]: over HTTPS to $DOMAIN, trusting only pebble's root
  local path=$1; shift
  curl -sS --max-time 10 --cacert "$P/root.pem" --resolve "$DOMAIN:443:$CT_IP" -u "admin:$ADMIN_PW" \
    "$@" "https://$DOMAIN$path"
}
served_serial() {  # the serial nginx presents now (lowercase hex, no colons)
  openssl s_client -connect "$CT_IP:443" -servername "$DOMAIN" </dev/null 2>/dev/null \
    | openssl x509 -noout -serial | sed 's/^serial=//' | tr 'A-F' 'a-f' | sed 's/^0*//'
}
strip0() { sed 's/^0*//' <<<"$1"; }
wait_tls() {  # JQ-CONDITION SECONDS WHAT
  local deadline=$((SECONDS + $2))
  until state | jq -e ".tls | $1" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || fail "$3: not seen within $2 s (tls: $(state | jq -c .tls))" "$(dump_journal)"
    sleep 1
  done
}
epoch() { date -u -d "$1" +%s; }

# ------------------------------------------------------------------ boot
make_copy "$C"
mkdir -p "$T/$C/root/etc/radflare"
cp "$P/ca.pem" "$T/$C/root/etc/radflare/acme-ca.pem"
boot "$C"
wait_booted "$C"
wait_healthy "$C" "http://$CT_IP/dicom-web/studies"
ADMIN_PW=$(cat "$T/$C/root/var/lib/radflare/secrets/admin-password")
# The supervisor made the placeholder pair and the webroot at its start.
[[ -s $T/$C/root/var/lib/radflare/tls/fullchain.pem ]] || fail "no placeholder pair before acme is configured"
[[ $(stat -c %a "$T/$C/root/var/lib/radflare/tls/privkey.pem") == 600 ]] || fail "the placeholder key is not 0600"
[[ -d $T/$C/root/var/lib/radflare/acme-webroot ]] || fail "no ACME webroot"
ok "booted; placeholder pair (key 0600) and webroot in place with tls.mode = off"

# -------------------------------------------------------- (a) issuance
/usr/bin/python3 - "$TOML" "$DOMAIN" "$DIRECTORY" <<'PY'
import re, sys
path, domain, directory = sys.argv[1:]
text = open(path).read()
tls = f'''[tls]
mode = "acme"
domains = ["{domain}"]
email = "ops@radflare.test"
acme_directory = "{directory}"
acme_ca_bundle = "/etc/radflare/acme-ca.pem"
hsts = true

'''
text, n = re.subn(r'^\[tls\]\n(?:(?!\[).*\n)*', tls, text, flags=re.M)
assert n == 1
open(path, "w").write(text)
PY
t_reload=$SECONDS
in_ct "$C" systemctl reload radflare.service >"$T/log/reload-acme.log" 2>&1 \
  || fail "systemctl reload with tls.mode = acme failed" "$(dump_journal)"
wait_tls '.placeholder == false and .serial != null' 120 "first issuance"
issued_in=$((SECONDS - t_reload))
SERIAL1=$(tls serial)
[[ $(https /dicom-web/studies -o /dev/null -w '%{http_code}') == 200 ]] \
  || fail "HTTPS does not answer 200 with pebble's root as the only trust anchor"
openssl s_client -connect "$CT_IP:443" -servername "$DOMAIN" -CAfile "$P/root.pem" -verify_return_error \
  </dev/null >"$T/log/s_client.log" 2>&1 || fail "openssl s_client: the chain does not verify to pebble's root" "$T/log/s_client.log"
grep -q 'Verify return code: 0 (ok)' "$T/log/s_client.log" || fail "s_client did not verify" "$T/log/s_client.log"
[[ $(strip0 "$(served_serial)") == $(strip0 "$SERIAL1") ]] || fail "nginx serves $(served_serial), status says $SERIAL1"
[[ $(tls issuer) == *Pebble* ]] || fail "issuer is $(tls issuer)"
# Port 80: the challenge path is served (404 for an unknown token, not a
# redirect), everything else redirects to HTTPS; HSTS on HTTPS.
[[ $(http_code "http://$CT_IP/.well-known/acme-challenge/nothing") == 404 ]] || fail "port 80 does not serve the challenge path"
[[ $(http_code "http://$CT_IP/ohif/") == 301 ]] || fail "port 80 does not redirect to HTTPS"
https /ohif/ -o /dev/null -D - | grep -qi '^strict-transport-security: max-age=' || fail "no HSTS header over HTTPS"
journal | grep -q "certificate installed for $DOMAIN: serial $SERIAL1" || fail "the journal lacks the issuance" "$(dump_journal)"
ok "(a) issued in $issued_in s by http-01 against nginx: serial $SERIAL1, chain verifies to pebble's root; :80 serves challenges, redirects the rest; HSTS"

# ------------------------------------------ (b) renewal under HTTPS load
NB1=$(epoch "$(tls not_before)") NA1=$(epoch "$(tls not_after)")
: >"$T/log/loop.codes"
(
  while [[ ! -e $T/loop.stop ]]; do
    https /dicom-web/studies -o /dev/null -w '%{http_code}\n' >>"$T/log/loop.codes" 2>>"$T/log/loop.err" || echo fail >>"$T/log/loop.codes"
    sleep 0.2
  done
) </dev/null >/dev/null 2>&1 &
LOOP_PID=$!
wait_tls ".serial != \"$SERIAL1\" and .placeholder == false" 330 "scheduled renewal"
SERIAL2=$(tls serial)
renewed_at=$(epoch "$(tls last_attempt)")
sleep 5   # requests after the reload, on the new certificate
touch "$T/loop.stop"; wait "$LOOP_PID" 2>/dev/null || true; LOOP_PID=
total=$(wc -l <"$T/log/loop.codes")
bad=$(grep -vc '^200$' "$T/log/loop.codes" || true)
((bad == 0)) || fail "$bad of $total HTTPS requests failed during the renewal" "$T/log/loop.err"
((total > 50)) || fail "only $total requests were made"
age=$((renewed_at - NB1))
((age >= 180 && age <= 215)) || fail "renewal at age $age s of a $((NA1 - NB1)) s certificate (expected ~200: a third left)"
[[ $(strip0 "$(served_serial)") == $(strip0 "$SERIAL2") ]] || fail "nginx does not serve the renewed certificate"
ok "(b) renewed on schedule at age $age s of $((NA1 - NB1)) s: serial $SERIAL1 -> $SERIAL2; $total HTTPS requests, 0 failed"

# --------------------------------------------- (c) failures and backoff
# The challenge fails: the CA's DNS now sends the validation elsewhere.
# Pebble first forgets the valid authorizations of (a) and (b): even with
# PEBBLE_AUTHZREUSE=0 it reuses one for 1 order in 100 (its test is
# rand.Intn(100) > percent), and then the failing order succeeds without a
# challenge. A new instance has none; the served pair is still (b)'s, and
# $P/root.pem stays the root that verifies it.
stop_pebble
start_pebble
dns_points_to "$HOST_IP"
if in_ct "$C" radflare renew --force >"$T/log/renew-c1.log" 2>&1; then fail "renew succeeded with a failing challenge"; fi
grep -q "could not validate the http-01 challenge" "$T/log/renew-c1.log" || fail "renew does not name the cause" "$T/log/renew-c1.log"
[[ $(tls failures) == 1 ]] || fail "failures = $(tls failures)"
a1=$(epoch "$(tls last_attempt)")
[[ $(epoch "$(tls next_attempt)") == $((a1 + 60)) ]] || fail "next attempt $(tls next_attempt), expected 1 min after $a1"
# A failed forced renewal is retried on the backoff: one minute later (fails
# too), then 10 min.
wait_tls '.failures == 2' 100 "the automatic retry after 1 min"
a2=$(epoch "$(tls last_attempt)")
((a2 - a1 >= 59 && a2 - a1 <= 75)) || fail "the retry came $((a2 - a1)) s after the failure (expected 60)"
[[ $(epoch "$(tls next_attempt)") == $((a2 + 600)) ]] || fail "next attempt $(tls next_attempt), expected 10 min after $a2"
[[ $(strip0 "$(served_serial)") == $(strip0 "$SERIAL2") ]] || fail "the served certificate changed after failures"
[[ $(https /dicom-web/studies -o /dev/null -w '%{http_code}') == 200 ]] || fail "the site is down after failed renewals"
verdict=$(tls verdict) reason=$(tls reason)
[[ ($verdict == red || $verdict == amber) && $reason == *"renewal failing: the CA could not validate"* ]] \
  || fail "status: verdict $verdict, reason '$reason'"
journal | grep -q "certificate renewal failed: the CA could not validate.*failure 2 in a row; next attempt at" \
  || fail "the journal lacks the failure and the next attempt" "$(dump_journal)"
ok "(c) failing challenge: attempts $((a2 - a1)) s apart, next in 10 min; serial $SERIAL2 still served; status $verdict: $reason"

# pebble stopped: the directory is unreachable (third failure: 100 min).
stop_pebble
if in_ct "$C" radflare renew --force >"$T/log/renew-c2.log" 2>&1; then fail "renew succeeded with pebble stopped"; fi
grep -q "cannot reach the ACME directory $DIRECTORY" "$T/log/renew-c2.log" || fail "renew does not say the CA is unreachable" "$T/log/renew-c2.log"
a3=$(epoch "$(tls last_attempt)")
[[ $(tls failures) == 3 && $(epoch "$(tls next_attempt)") == $((a3 + 6000)) ]] \
  || fail "after 3 failures: $(state | jq -c '.tls | {failures, last_attempt, next_attempt}')"
[[ $(tls last_error) == "cannot reach the ACME directory"* ]] || fail "last_error: $(tls last_error)"
[[ $(strip0 "$(served_serial)") == $(strip0 "$SERIAL2") ]] || fail "the served certificate changed with pebble stopped"
ok "(c) pebble stopped: '$(tls last_error | cut -c1-80)…', next attempt in 100 min, serial $SERIAL2 still served"

# pebble back (a new instance: new root, accounts forgotten), DNS right again.
dns_points_to "$CT_IP"
start_pebble
pebble_root
in_ct "$C" radflare renew --force >"$T/log/renew-c3.log" 2>&1 || fail "renew failed with pebble back" "$T/log/renew-c3.log"
SERIAL3=$(tls serial)
[[ $SERIAL3 != "$SERIAL2" && $(tls failures) == 0 && $(tls last_error) == "" ]] || fail "after pebble came back: $(state | jq -c .tls)"
[[ $(https /dicom-web/studies -o /dev/null -w '%{http_code}') == 200 ]] || fail "HTTPS does not verify against the new pebble root"
ok "(c) pebble back: renewed (account registered again), serial $SERIAL3, chain verifies to the new root, status $(tls verdict) '$(tls reason)'"

# The CA down for a moment, back before the next attempt: the backoff's own
# retry (1 min later) renews, nobody runs anything.
stop_pebble
if in_ct "$C" radflare renew --force >"$T/log/renew-c4.log" 2>&1; then fail "renew succeeded with pebble stopped (again)"; fi
[[ $(tls failures) == 1 ]] || fail "after pebble stopped again: $(state | jq -c '.tls | {failures, next_attempt}')"
start_pebble
pebble_root
wait_tls ".failures == 0 and .serial != \"$SERIAL3\"" 120 "the automatic retry once pebble is back"
SERIAL3=$(tls serial)
[[ $(strip0 "$(served_serial)") == $(strip0 "$SERIAL3") ]] || fail "nginx does not serve the automatically renewed certificate"
[[ $(https /dicom-web/studies -o /dev/null -w '%{http_code}') == 200 ]] || fail "HTTPS does not verify after the automatic renewal"
ok "(c) pebble down then back: the retry 1 min later renewed by itself, serial $SERIAL3 served"

# ---------------------------------------------- (d) unreachable directory
BAD=https://$HOST_IP:1/dir
cp "$TOML" "$T/good.toml"
sed -i "s#^acme_directory = .*#acme_directory = \"$BAD\"#" "$TOML"
in_ct "$C" systemctl reload radflare.service >"$T/log/reload-bad.log" 2>&1 || fail "reload with an unreachable directory failed" "$(dump_journal)"
if in_ct "$C" radflare renew --force >"$T/log/renew-d.log" 2>&1; then fail "renew succeeded with an unreachable directory"; fi
grep -q "cannot reach the ACME directory $BAD (connection refused)" "$T/log/renew-d.log" || fail "renew does not say why" "$T/log/renew-d.log"
journal | grep -q "certificate renewal failed: cannot reach the ACME directory $BAD" || fail "the journal does not say why" "$(dump_journal)"
[[ $(tls last_error) == "cannot reach the ACME directory $BAD"* ]] || fail "status last_error: $(tls last_error)"
[[ $(https /dicom-web/studies -o /dev/null -w '%{http_code}') == 200 && $(strip0 "$(served_serial)") == $(strip0 "$SERIAL3") ]] \
  || fail "the site went down or changed certificate with a bad directory"
[[ $(in_ct "$C" systemctl is-active nginx.service radflare.service | sort -u) == active ]] || fail "a unit is not active"
cp "$T/good.toml" "$TOML"
in_ct "$C" systemctl reload radflare.service >/dev/null 2>&1 || fail "reload back to the good directory failed"
ok "(d) unreachable directory: reported ('$(tls last_error | cut -c1-70)…'), serial $SERIAL3 still served, nginx active"

# ------------------------------------------------------------ hygiene
if journal | grep -q 'PRIVATE KEY'; then fail "a private key reached the journal"; fi
timer=$(in_ct "$C" systemctl is-enabled certbot.timer 2>/dev/null || true)   # exits 1 when masked
[[ $timer == masked ]] || fail "certbot.timer is '$timer', not masked"
[[ ! -e $T/$C/root/etc/cron.d/certbot ]] || fail "certbot's cron job is still there"
[[ $(stat -c %a "$T/$C/root/var/lib/radflare/letsencrypt") == 700 ]] || fail "certbot's state (account key) is not 0700"
ok "no key in the journal; certbot's timer masked, cron job removed; account state 0700"
echo "# acme tier: $((SECONDS - START)) s"
