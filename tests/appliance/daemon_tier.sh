#!/usr/bin/env bash
# Appliance test, the supervisor on real systemd: radflare.service in the
# provisioned rootfs booted under systemd-nspawn (tests/appliance/lib.sh).
# Edits /etc/radflare.toml the way an operator does and checks that
# `systemctl reload radflare` restarts exactly what the change needs, refuses
# an invalid file without touching anything, reverts a config that cannot
# run, survives kill -9 of any service and of itself mid-apply.
#
#   bash tests/appliance/daemon_tier.sh RADFLARE_BINARY SOURCE_DIR
set -euo pipefail

# shellcheck source=tests/appliance/lib.sh
source "$(dirname "$0")/lib.sh"  # re-runs this script in a private mount namespace; sets RADFLARE, SRC
rf_build_image
rf_setup_network

C=d
TOML=$T/$C/root/etc/radflare.toml
PG_UNIT=postgresql@15-main.service
UNITS=(orthanc.service nginx.service "$PG_UNIT")

# "unit MainPID ActiveEnterTimestampMonotonic" for each service: equal before
# and after means the unit was not touched.
marks() {
  local u
  for u in "${UNITS[@]}"; do
    echo "$u $(in_ct "$C" systemctl show -p MainPID --value "$u") $(in_ct "$C" systemctl show -p ActiveEnterTimestampMonotonic --value "$u")"
  done
}
pid_of() { in_ct "$C" systemctl show -p MainPID --value "$1"; }
# Every live file radflare renders, with its checksum.
live_sums() {
  (cd "$T/$C/root" && sha256sum etc/radflare/orthanc/*.json etc/radflare/orthanc.env etc/nginx/conf.d/radflare.conf \
    etc/nginx/radflare-*.conf etc/radflare/ohif/app-config.js etc/postgresql/*/main/conf.d/radflare-*.conf 2>/dev/null)
}
set_toml() {  # SED-EXPRESSION...: edit the operator's file
  local e; for e in "$@"; do sed -i "$e" "$TOML"; done
}
reload() { in_ct "$C" systemctl reload radflare.service; }
# A reload that must succeed: on failure, show the supervisor's journal.
must_reload() {  # WHAT
  reload >>"$T/log/reloads.log" 2>&1 && return 0
  in_ct "$C" journalctl --no-pager -u radflare.service -n 40 >"$T/log/radflare.log" 2>&1 || true
  fail "$1: systemctl reload radflare failed" "$T/log/radflare.log"
}
state() { in_ct "$C" cat /run/radflare/state.json; }

# ------------------------------------------------------------------ boot
make_copy "$C"
boot "$C"
wait_booted "$C"
wait_healthy "$C" "http://$CT_IP/dicom-web/studies"
ADMIN_PW=$(cat "$T/$C/root/var/lib/radflare/secrets/admin-password")
[[ $(in_ct "$C" systemctl is-active radflare.service) == active ]] \
  || { in_ct "$C" journalctl -b --no-pager -u radflare >"$T/log/radflare.log" 2>&1; fail "radflare.service is not active" "$T/log/radflare.log"; }
ok "radflare.service active: $(in_ct "$C" systemctl show -p StatusText --value radflare.service)"

# ---------------------------------------------------- reloads, by change
before=$(marks) sums=$(live_sums)
must_reload "no-op reload"
[[ $(marks) == "$before" && $(live_sums) == "$sums" ]] || fail "a no-op reload touched a unit or a file"
ok "no-op reload: every MainPID and ActiveEnterTimestamp unchanged, files unchanged"

set_toml 's/^max_web_workers = 3 /max_web_workers = 5 /' 's/^investigational_use_dialog = "always"/investigational_use_dialog = "never"/'
must_reload "OHIF-only change"
[[ $(marks) == "$before" ]] || fail "an OHIF-only change touched a unit"
grep -q '"maxNumberOfWebWorkers": 5' "$T/$C/root/etc/radflare/ohif/app-config.js" || fail "app-config.js not rewritten"
[[ $(curl -s -u "admin:$ADMIN_PW" "http://$CT_IP/ohif/app-config.js" | grep -c '"option": "never"') == 1 ]] \
  || fail "nginx does not serve the new app-config.js"
ok "[ohif] change: app-config.js rewritten and served, no unit touched"

nginx_pid=$(pid_of nginx.service) orthanc_pid=$(pid_of orthanc.service)
set_toml 's#^cors_origins = \[\]#cors_origins = ["https://app.example.com"]#'
must_reload "CORS change"
[[ $(pid_of nginx.service) == "$nginx_pid" && $(pid_of orthanc.service) == "$orthanc_pid" ]] \
  || fail "a CORS change restarted nginx's master or Orthanc"
origin=$(curl -s -o /dev/null -D - -X OPTIONS -H 'Origin: https://app.example.com' \
  -H 'Access-Control-Request-Method: GET' "http://$CT_IP/dicom-web/studies" | tr -d '\r' \
  | sed -n 's/^Access-Control-Allow-Origin: //p')
[[ $origin == https://app.example.com ]] || fail "the new CORS origin is not served (got '$origin')"
ok "CORS change: nginx reloaded (master PID $nginx_pid kept), Orthanc untouched, preflight allowed"

pg_pid=$(pid_of "$PG_UNIT")
set_toml 's/^aet = "RADFLARE"/aet = "RADFLARE2"/'
must_reload "AET change"
[[ $(pid_of orthanc.service) != "$orthanc_pid" ]] || fail "an AET change did not restart Orthanc"
[[ $(pid_of nginx.service) == "$nginx_pid" && $(pid_of "$PG_UNIT") == "$pg_pid" ]] \
  || fail "an AET change touched nginx or PostgreSQL"
aet=$(curl -s -u "admin:$ADMIN_PW" "http://$CT_IP:8042/system" | jq -r .DicomAet)
[[ $aet == RADFLARE2 ]] || fail "Orthanc reports AET $aet"
echo | storescu -aec RADFLARE2 "$CT_IP" 4242 >/dev/null 2>&1 || true
ok "AET change: Orthanc alone restarted, now RADFLARE2; nginx and PostgreSQL untouched"

# -------------------------------------------------------- invalid config
cp "$TOML" "$T/good.toml"
before=$(marks) sums=$(live_sums)
set_toml 's/^dicom_port = 4242/dicom_port = 70000/'
line=$(grep -n '^dicom_port = 70000' "$TOML" | cut -d: -f1)
if reload >"$T/log/reload-invalid.log" 2>&1; then fail "systemctl reload succeeded on an invalid file"; fi
in_ct "$C" journalctl --no-pager -u radflare.service -n 30 >"$T/log/radflare-invalid.log" 2>&1
grep -q "radflare.toml:$line:14: error: orthanc.dicom_port: expected a port number" "$T/log/radflare-invalid.log" \
  || fail "the journal lacks the file:line:col diagnostic" "$T/log/radflare-invalid.log"
[[ $(live_sums) == "$sums" && $(marks) == "$before" ]] || fail "an invalid file changed a live file or a unit"
state | jq -e '.reload.ok == false and .reload.outcome == "invalid config"' >/dev/null || fail "state.json does not show the invalid config"
cp "$T/good.toml" "$TOML"
ok "invalid TOML: systemctl reload fails, journal says radflare.toml:$line:14 …, live files byte-identical, no unit touched"

# ------------------------------------------- a valid config that cannot run
# Something else already listens on the DICOM port the new config wants:
# Orthanc cannot start on it; the supervisor must go back to the old files.
# (Its output goes nowhere: a background process holding the test's stdout
# would keep ctest waiting after the test ended.)
in_ct "$C" timeout 120 /usr/bin/python3 -c 'import socket,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("0.0.0.0", 11112)); s.listen(); time.sleep(120)' \
  </dev/null >/dev/null 2>&1 &
sleep 1
sums=$(live_sums)
set_toml 's/^dicom_port = 4242/dicom_port = 11112/'
t0=$SECONDS
if reload >"$T/log/reload-taken.log" 2>&1; then fail "reload succeeded although port 11112 is taken"; fi
took=$((SECONDS - t0))
in_ct "$C" pkill -f 'bind\(\("0.0.0.0", 11112\)\)' || true
[[ $(live_sums) == "$sums" ]] || fail "the live files were not restored after the failed reload"
wait_healthy "$C" "http://$CT_IP/dicom-web/studies"
port=$(curl -s -u "admin:$ADMIN_PW" "http://$CT_IP:8042/system" | jq -r .DicomPort)
[[ $port == 4242 ]] || fail "Orthanc serves DICOM on $port after the revert, want 4242"
state | jq -e '.reload.outcome == "reverted" and (.reload.summary | test("orthanc is not answering"))' >/dev/null \
  || { state >"$T/log/state.json"; fail "state.json does not report the revert and its cause" "$T/log/state.json"; }
cp "$T/good.toml" "$TOML"
((took <= 30)) || fail "the revert took $took s (want ≤ 30)"
ok "DICOM port taken: reload fails in $took s, files restored, Orthanc back on 4242, cause in state.json"

# ------------------------------------------------- kill -9 of each service
for u in orthanc.service nginx.service "$PG_UNIT"; do
  old=$(pid_of "$u")
  in_ct "$C" kill -9 "$old"
  back=
  for i in $(seq 40); do
    sleep 0.25
    new=$(pid_of "$u")
    if [[ $new != 0 && $new != "$old" && $(in_ct "$C" systemctl is-active "$u") == active ]]; then back=$i; break; fi
  done
  [[ -n $back ]] || { in_ct "$C" journalctl --no-pager -n 40 -u "$u" >"$T/log/kill-$u.log" 2>&1
                      fail "$u did not come back within 10 s after kill -9" "$T/log/kill-$u.log"; }
  for _ in $(seq 20); do
    state | jq -e --arg u "$u" '[.incidents[] | select(.unit == $u)] | length > 0' >/dev/null && break
    sleep 0.25
  done
  state | jq -e --arg u "$u" '[.incidents[] | select(.unit == $u)] | length > 0' >/dev/null \
    || fail "no incident recorded for $u"
  ok "kill -9 $u: active again within $(((back + 3) / 4)) s; incident: $(state | jq -r --arg u "$u" '[.incidents[] | select(.unit == $u)][0].what')"
done
wait_healthy "$C" "http://$CT_IP/dicom-web/studies"

# -------------------------------------- kill -9 of the supervisor mid-apply
# Two valid configurations that differ in what every renderer writes; every
# live file must always be byte-equal to one of the two renderings.
cp "$T/good.toml" "$T/cfg-a.toml"
sed -e 's/^aet = "RADFLARE2"/aet = "RADFLARE3"/' -e 's/^max_web_workers = 5 /max_web_workers = 7 /' \
    -e 's#^cors_origins = .*#cors_origins = ["https://b.example.com"]#' -e 's/^rotation_days = 30/rotation_days = 31/' \
    "$T/good.toml" >"$T/cfg-b.toml"
for v in a b; do
  mkdir -p "$T/render-$v/var/lib/radflare"
  cp -a "$T/$C/root/var/lib/radflare/secrets" "$T/render-$v/var/lib/radflare/"
  "$RADFLARE" render --config "$T/cfg-$v.toml" --root "$T/render-$v" >/dev/null
done
supervisor_up() {  # wait until radflare.service runs again (Restart=on-failure)
  for _ in $(seq 120); do
    [[ $(in_ct "$C" systemctl is-active radflare.service) == active ]] && return 0
    sleep 0.25
  done
  fail "radflare.service did not come back after kill -9"
}
torn=0
for i in $(seq 20); do
  v=$([[ $((i % 2)) == 1 ]] && echo b || echo a)
  supervisor_up
  cp "$T/cfg-$v.toml" "$TOML"
  in_ct "$C" systemctl reload --no-block radflare.service
  # A random point of the apply (it restarts Orthanc: ~3 s).
  sleep "$((RANDOM % 2)).$((RANDOM % 10))"
  in_ct "$C" systemctl kill -s KILL --kill-who=main radflare.service
  # Every rendered file is one of the two versions, never a mix.
  while read -r f; do
    rel=${f#"$T/render-a"}
    live=$T/$C/root$rel
    cmp -s "$live" "$T/render-a$rel" || cmp -s "$live" "$T/render-b$rel" || { torn=1; echo "# torn or foreign: $rel" >&2; }
  done < <(find "$T/render-a/etc" -type f)
done
((torn == 0)) || fail "a file was neither the old nor the new version after a kill -9 of the supervisor"
# The restarted supervisor converges to the file on disk (the last one written).
supervisor_up
must_reload "after 20 kills"
while read -r f; do
  rel=${f#"$T/render-$v"}
  cmp -s "$T/$C/root$rel" "$f" || fail "after the kills, $rel does not match the TOML on disk"
done < <(find "$T/render-$v/etc" -type f)
wait_healthy "$C" "http://$CT_IP/dicom-web/studies"
ok "kill -9 of the supervisor at 20 random points of applies: no torn or mixed file; it restarts and converges"

poweroff "$C"
ok "daemon tier passed in $((SECONDS - START)) s"
