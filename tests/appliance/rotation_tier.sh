#!/usr/bin/env bash
# Appliance test, admin password rotation (issue 6) on real systemd: the
# provisioned rootfs booted under systemd-nspawn (tests/appliance/lib.sh).
# - after `radflare rotate-password` the old password gets 401 at every
#   entry point and the new one works;
# - 10 rotations while 4 clients STOW continuously as another user: no failed
#   request, no acknowledged instance missing, Orthanc never restarted;
# - a rotation whose nginx reload fails leaves the old password valid;
# - a rotation that fell due while the supervisor was down runs at start;
# - the password is only where it is meant to be.
#
#   bash tests/appliance/rotation_tier.sh RADFLARE_BINARY SOURCE_DIR
set -euo pipefail

# shellcheck source=tests/appliance/lib.sh
source "$(dirname "$0")/lib.sh"  # re-runs this script in a private mount namespace; sets RADFLARE, SRC
rf_build_image
rf_setup_network

C=r
ROOT=$T/$C/root
TOML=$ROOT/etc/radflare.toml
admin_pw() { cat "$ROOT/var/lib/radflare/secrets/admin-password"; }
pid_of() { in_ct "$C" systemctl show -p MainPID --value "$1"; }
# Every door a person or an app uses, with the admin's credentials.
ENTRY_POINTS=()
set_entry_points() {
  ENTRY_POINTS=("http://$CT_IP/ohif/" "http://$CT_IP/dicom-web/studies" "http://$CT_IP/wado?requestType=WADO"
                "http://$CT_IP:8042/app/explorer.html" "http://$CT_IP:8042/system")
}
# USER PASSWORD EXPECT: EXPECT is "401" (refused everywhere) or "ok" (never 401 or 5xx).
check_everywhere() {
  local user=$1 pw=$2 want=$3 url code
  for url in "${ENTRY_POINTS[@]}"; do
    code=$(http_code -u "$user:$pw" "$url")
    if [[ $want == 401 ]]; then
      [[ $code == 401 ]] || fail "$url answered $code to the $4 password (want 401)"
    else
      [[ $code =~ ^[23] || $code == 400 || $code == 404 ]] || fail "$url answered $code to the $4 password"
    fi
  done
}

# ------------------------------------------------------------------ boot
make_copy "$C"
# A second account, for the customer's app: rotations must not touch it.
install -d -m 0700 "$ROOT/etc/radflare/secrets"
head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$ROOT/etc/radflare/secrets/customer-app"
chmod 0600 "$ROOT/etc/radflare/secrets/customer-app"
cat >>"$TOML" <<'TOML'

[[web.users]]
name = "customer-app"
password_file = "/etc/radflare/secrets/customer-app"
TOML
boot "$C"
wait_booted "$C"
wait_healthy "$C" "http://$CT_IP/dicom-web/studies"
set_entry_points
APP_PW=$(cat "$ROOT/etc/radflare/secrets/customer-app")
[[ $(http_code -u "customer-app:$APP_PW" "http://$CT_IP/dicom-web/studies") == 200 ]] || fail "the app account does not work"
ok "booted; admin and customer-app accounts answer"

# ------------------------------------------------------ one rotation, by hand
old=$(admin_pw)
check_everywhere admin "$old" ok old
in_ct "$C" radflare rotate-password >"$T/log/rotate-1.log" 2>&1 || fail "radflare rotate-password failed" "$T/log/rotate-1.log"
new=$(in_ct "$C" radflare admin-password)
[[ $new != "$old" && ${#new} -ge 22 && $new == "$(admin_pw)" ]] || fail "radflare admin-password does not print a new password"
check_everywhere admin "$old" 401 old
check_everywhere admin "$new" ok new
in_ct "$C" setpriv --reuid=65534 --regid=65534 --clear-groups radflare admin-password >/dev/null 2>&1 \
  && fail "radflare admin-password printed the password to an unprivileged user"
ok "rotate-password: old password 401 at ${#ENTRY_POINTS[@]} entry points, new one accepted; admin-password is root only"

# ------------------------------------- 10 rotations under continuous uploads
orthanc_pid=$(pid_of orthanc.service) nginx_pid=$(pid_of nginx.service)
STOP=$T/stop-load
LOADERS=()
# The load clients end with the test, whatever way it ends.
trap 'touch "$STOP"; for p in "${LOADERS[@]}"; do kill "$p" 2>/dev/null || true; done; cleanup' EXIT
for i in 1 2 3 4; do
  "$PY" "$SRC/tests/load/stow_client.py" "http://$CT_IP/dicom-web/studies" customer-app \
    "$ROOT/etc/radflare/secrets/customer-app" "$STOP" "$T/load-$i" >"$T/load-$i.out" 2>"$T/log/load-$i.err" </dev/null &
  LOADERS+=($!)
done
sleep 3
for i in $(seq 10); do
  in_ct "$C" radflare rotate-password >>"$T/log/rotations.log" 2>&1 || {
    { cat "$T/log/rotations.log"; echo "--- nginx error.log"; tail -n 30 "$ROOT/var/log/nginx/error.log"
      echo "--- listening"; in_ct "$C" ss -ltnp; echo "--- nginx"; in_ct "$C" systemctl status --no-pager nginx; } >"$T/log/rotation-failed.log" 2>&1
    fail "rotation $i failed" "$T/log/rotation-failed.log"; }
  sleep 1
done
sleep 2
touch "$STOP"
for p in "${LOADERS[@]}"; do wait "$p" || fail "a load client crashed" "$T/log/load-1.err"; done
sent=0 acked=0 failed=0 missing=0
for i in 1 2 3 4; do
  read -r study s a f <"$T/load-$i.out"
  sent=$((sent + s)) acked=$((acked + a)) failed=$((failed + f))
  # What Orthanc holds of that study, by SOPInstanceUID.
  curl -sS -u "admin:$(admin_pw)" "http://$CT_IP:8042/tools/find" >"$T/found-$i.json" \
    -d "{\"Level\":\"Instance\",\"Expand\":true,\"Query\":{\"StudyInstanceUID\":\"$study\"}}" \
    || fail "cannot list the instances of study $study"
  jq -r '.[].MainDicomTags.SOPInstanceUID' "$T/found-$i.json" | sort >"$T/stored-$i" \
    || fail "Orthanc's /tools/find did not answer a list" "$T/found-$i.json"
  missing=$((missing + $(sort "$T/load-$i.acked" | comm -23 - "$T/stored-$i" | wc -l)))
done
((failed == 0)) || fail "$failed of $sent uploads failed during the rotations" "$T/load-1.failed"
((missing == 0)) || fail "$missing acknowledged instances are missing from Orthanc"
((acked > 40)) || fail "only $acked uploads in the run: the load did not run"
[[ $(pid_of orthanc.service) == "$orthanc_pid" ]] || fail "a rotation restarted Orthanc"
[[ $(pid_of nginx.service) == "$nginx_pid" ]] || fail "a rotation restarted nginx's master (want a reload)"
check_everywhere admin "$(admin_pw)" ok latest
ok "10 rotations under 4 STOW clients: $acked/$sent uploads acknowledged, 0 failed, 0 missing; Orthanc PID $orthanc_pid kept"

# ------------------------------------------------- a rotation that fails midway
before=$(admin_pw)
mkdir -p "$ROOT/etc/systemd/system/nginx.service.d"
printf '[Service]\nExecReload=\nExecReload=/bin/false\n' >"$ROOT/etc/systemd/system/nginx.service.d/zz-fail-reload.conf"
in_ct "$C" systemctl daemon-reload
if in_ct "$C" radflare rotate-password >"$T/log/rotate-fail.log" 2>&1; then fail "a rotation succeeded although nginx cannot reload"; fi
grep -q 'previous one is still valid' "$T/log/rotate-fail.log" || fail "the failed rotation does not say the old password still works" "$T/log/rotate-fail.log"
rm "$ROOT/etc/systemd/system/nginx.service.d/zz-fail-reload.conf"
in_ct "$C" systemctl daemon-reload
[[ $(admin_pw) == "$before" && $(in_ct "$C" radflare admin-password) == "$before" ]] || fail "the failed rotation changed the stored password"
check_everywhere admin "$before" ok previous
in_ct "$C" cat /run/radflare/state.json | jq -e '.admin.last_error | length > 0' >/dev/null \
  || fail "state.json does not show the failed rotation"
ok "nginx reload made to fail: rotation refused, the previous password still works everywhere, error in the status"

# ------------------------------------- a rotation due while the supervisor was off
in_ct "$C" systemctl stop radflare.service
echo '{"last_rotated": 1000000000}' >"$ROOT/var/lib/radflare/admin-password-rotation.json"
in_ct "$C" systemctl start radflare.service
for _ in $(seq 60); do [[ $(admin_pw) != "$before" ]] && break; sleep 0.5; done
[[ $(admin_pw) != "$before" ]] || fail "an overdue rotation did not run after the supervisor started"
check_everywhere admin "$before" 401 overdue-old
check_everywhere admin "$(admin_pw)" ok overdue-new
due=$(in_ct "$C" cat /run/radflare/state.json | jq -r .admin.next_due)
ok "an overdue rotation ran at start; next due $due"

# ----------------------------------------------- where the password is (not)
pw=$(admin_pw)
b64=$(printf 'admin:%s' "$pw" | base64 -w0)
in_ct "$C" journalctl --flush >/dev/null 2>&1 || true
hits=$( (grep -rlaF -e "$pw" -e "$b64" "$ROOT/etc" "$ROOT/var" 2>/dev/null || true) | sed "s#^$ROOT##" | sort -u)
# /run is the container's own tmpfs (state.json lives there).
run_hits=$(in_ct "$C" grep -rlaF -e "$pw" -e "$b64" /run 2>/dev/null || true)
[[ -z $run_hits ]] || fail "the admin password is in $run_hits"
for f in $hits; do
  case $f in
    /var/lib/radflare/secrets/admin-password | /etc/nginx/radflare-users.conf) ;;
    *) fail "the admin password is in $f" ;;
  esac
  [[ $(stat -c '%a %U' "$ROOT$f") == "600 root" ]] || fail "$f holds the admin password with mode $(stat -c '%a %U' "$ROOT$f")"
done
in_ct "$C" journalctl -b --no-pager -o cat >"$T/log/journal.txt" 2>&1
grep -qF -e "$pw" -e "$b64" "$T/log/journal.txt" && fail "the admin password is in the journal"
ok "the admin password is only in $(echo $hits | tr ' ' ','), 0600 root; not in the journal or state.json"

poweroff "$C"
ok "rotation tier passed in $((SECONDS - START)) s"
