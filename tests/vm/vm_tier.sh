#!/usr/bin/env bash
# Appliance test, VM tier: the Packer-built local twin of the AMI
# (build/image/radflare.qcow2, make image-local) booted under qemu with its
# own kernel and systemd, as an instance boots on EC2.
#
#   bash tests/vm/vm_tier.sh RADFLARE_BINARY SOURCE_DIR
#
# Part of `make test`: ctest runs it beside the tiers that mostly wait
# (CMakeLists.txt). RADFLARE_VM_TESTS=0 skips it (exit 77), e.g. while
# working on something else: a cold image build plus TCG boots take ~15-20 min.
#
# 1. the image: cpack + image/build-local.sh (cached: seconds when unchanged)
# 2. a throwaway raw copy of the qcow2: scanned for secrets first (loop mount,
#    read-only, private mount namespace), then a test-only ssh key is written
#    into the COPY's /root/.ssh (debugfs) — never into the image
# 3. boot: qemu (TCG; KVM only if /dev/kvm works here), ports forwarded to
#    127.0.0.1 only: ssh, nginx :80, DICOM :4242, the seed door :8042, and
#    Orthanc's own :8044 (to prove it refuses a client that is not local)
# 4. checks: system running, every unit active, first-boot secrets and modes,
#    console message, Orthanc and PostgreSQL closed to non-local clients, C-STORE,
#    STOW/QIDO/WADO through the forwarded nginx port, OHIF in Chromium,
#    a reboot keeping data and secrets
# 5. power off through QMP (system_powerdown), bounded; cleans up always.
# Prints "ok - STEP (N s)". Steps 1-3 and their settings: tests/vm/lib.sh.
# shellcheck disable=SC2016  # single-quoted commands run in the guest or a subshell
set -euo pipefail

if [[ ${RADFLARE_VM_TESTS:-1} == 0 ]]; then
  echo "skipped: RADFLARE_VM_TESTS=0"
  exit 77
fi
# shellcheck source=tests/vm/lib.sh
source "$(dirname "$0")/lib.sh"

boot first
wait_booted first
BOOT_RUNNING=$((SECONDS - stage_start))
ADMIN_PW=$(vm cat /var/lib/radflare/secrets/admin-password)
wait_healthy first
BOOT_HEALTHY=$((SECONDS - stage_start))
ok "first boot ($accel): 'running' after $BOOT_RUNNING s, QIDO through nginx 200 after $BOOT_HEALTHY s"

# ------------------------------------------------------------------ units
# Every unit of units/ and of the stack that the image enables is active;
# one-shots without RemainAfterExit merely finished successfully. One
# `systemctl show` for all (list-unit-files timed out on D-Bus under TCG).
names=$(cd "$SRC/units" && ls -- *.service) 
names="$names postgresql.service orthanc.service nginx.service ssh.service"
vm "systemctl show -p Id,UnitFileState,ActiveState,Type,RemainAfterExit,Result ${names//$'\n'/ }" \
  >"$T/units.txt" || fail "systemctl show of the units"
units=
while read -r id enabled active type remain result; do
  [[ $enabled == enabled ]] || continue
  units+=" $id"
  if [[ $active != active ]] && ! [[ $type == oneshot && $remain == no && $active == inactive && $result == success ]]; then
    vm journalctl -b --no-pager -n 60 -u "$id" >"$T/log/unit.log" 2>&1 || true
    fail "$id is $active (result $result)" "$T/log/unit.log"
  fi
done < <(awk -F= '/^Id=/{id=$2} /^UnitFileState=/{en=$2} /^ActiveState=/{ac=$2} /^Type=/{ty=$2}
                  /^RemainAfterExit=/{re=$2} /^Result=/{rs=$2} /^$/{print id, en, ac, ty, re, rs}
                  END{print id, en, ac, ty, re, rs}' "$T/units.txt" | sort -u)
[[ $units == *radflare-firstboot.service* && $units == *orthanc.service* ]] \
  || fail "enabled units lack radflare-firstboot/orthanc:$units"
clusters=$(vm systemctl list-units --no-legend --plain --state=active 'postgresql@*' | awk '{print $1}')
[[ -n $clusters ]] || fail "no postgresql@ cluster is active"
failed=$(vm systemctl list-units --state=failed --no-legend --plain)
[[ -z $failed ]] || fail "failed units: $failed"
ok "every enabled unit active (or a finished one-shot):$units $clusters; none failed"

# ---------------------------------------------------------------- secrets
expect_stat() {  # PATH "MODE USER:GROUP"
  local got; got=$(vm stat -c "'%a %U:%G'" "$1") || fail "$1 is missing"
  [[ $got == "$2" ]] || fail "$1 is $got, want $2"
}
for s in admin-password db-password proxy-password; do expect_stat "/var/lib/radflare/secrets/$s" "600 root:root"; done
expect_stat /var/lib/radflare/secrets "700 root:root"
expect_stat /etc/radflare/orthanc/credentials.json "640 root:orthanc"
expect_stat /etc/radflare/postgresql-bootstrap.sql "600 root:root"
expect_stat /etc/nginx/radflare-users.conf "600 root:root"
((${#ADMIN_PW} >= 22)) || fail "admin password is only ${#ADMIN_PW} characters"
[[ -n $(vm cat /etc/machine-id) ]] || fail "the instance has no machine-id"
vm 'ls /etc/ssh/ssh_host_ed25519_key' >/dev/null || fail "the instance has no ssh host key"
vm 'for f in /var/lib/radflare/secrets/*; do cat "$f"; echo; done' >"$T/secrets-first"
chmod 0600 "$T/secrets-first"
grep -q 'admin password' "$T/log/console-first.log" || grep -q 'admin-password' "$T/log/console-first.log" \
  || fail "the serial console does not say where the admin password is" "$T/log/console-first.log"
vm journalctl -b --no-pager -o cat >"$T/log/journal-first.log" 2>&1
while read -r pw; do
  [[ -n $pw ]] || continue
  grep -qF -- "$pw" "$T/log/console-first.log" && fail "the serial console shows a secret"
  grep -qF -- "$pw" "$T/log/journal-first.log" && fail "the journal holds a secret"
done <"$T/secrets-first"
ok "first-boot secrets 0600 root in 0700 /var/lib/radflare/secrets; rendered files narrow; machine-id and host keys made; console says where the password is and shows no secret"

# ----------------------------------------------------------------- exposure
# Orthanc 1.10 binds all addresses and refuses remote clients itself
# (RemoteAccessAllowed false): through the forwarded port a client arrives
# from the user-mode network's gateway, i.e. not from loopback.
PROXY_PW=$(vm cat /var/lib/radflare/secrets/proxy-password)
code=$(http_code -u "radflare-proxy:$PROXY_PW" "http://127.0.0.1:$ORTHANC_PORT/system")
[[ $code == 401 || $code == 403 || $code == 000 ]] \
  || fail "Orthanc's :8044 answered $code to a non-loopback client with valid credentials, want 401/403 or refused"
remote_code=$code
code=$(vm curl -s -o /dev/null --max-time 30 -w '%{http_code}' -u "radflare-proxy:$PROXY_PW" http://127.0.0.1:8044/system)
[[ $code == 200 ]] || fail "Orthanc on loopback answered $code with valid credentials, want 200"
bad=$(vm ss -Hltn | awk '{print $4}' | grep -E ':5432$' | grep -vE '^(127\.0\.0\.1|\[::1\]):' || true)
[[ -z $bad ]] || fail "PostgreSQL listens beyond loopback: $bad"
for url in "http://127.0.0.1:$HTTP_PORT/dicom-web/studies" "http://127.0.0.1:$SEED_PORT/system" "http://127.0.0.1:$HTTP_PORT/ohif/"; do
  code=$(http_code "$url")
  [[ $code == 401 ]] || fail "unauthenticated GET $url answered $code, want 401"
done
ok "Orthanc :8044 with valid credentials: $remote_code from outside, 200 on loopback; PostgreSQL on loopback only; nginx doors ask for credentials"

# ------------------------------------------------------------------ DICOM
SMALL_UID=$($PY "$SRC/tests/data/gen_study.py" "$T/small" --slices 3 --size 128 --seed 22 \
  --patient-id RFVM02 --patient-name "RADFLARE^VM" --description "Radflare VM C-STORE")
storescu -aec RADFLARE 127.0.0.1 "$DICOM_PORT" "$T"/small/*.dcm >"$T/log/storescu.log" 2>&1 \
  || fail "storescu to RADFLARE@127.0.0.1:$DICOM_PORT" "$T/log/storescu.log"
n=$(web "http://127.0.0.1:$HTTP_PORT/dicom-web/studies/$SMALL_UID/instances" | jq length)
[[ $n == 3 ]] || fail "C-STORE: $n instances through QIDO, want 3"
ok "C-STORE of 3 instances to the forwarded :4242, seen through nginx's QIDO"

CT_UID=$($PY "$SRC/tests/data/gen_study.py" "$T/ct" --slices 10 --size 256 --seed 21 \
  --patient-id RFVM01 --description "Radflare VM CT")
ctype=$($PY "$SRC/tests/data/stow_body.py" "$T/ct" "$T/stow.body")
base=http://127.0.0.1:$HTTP_PORT
code=$(curl -sS -o "$T/stow.json" -w '%{http_code}' --max-time 300 -u "admin:$ADMIN_PW" \
  -H "Content-Type: $ctype" -H 'Accept: application/dicom+json' --data-binary @"$T/stow.body" "$base/dicom-web/studies")
[[ $code == 200 ]] || fail "STOW-RS answered HTTP $code" "$T/stow.json"
n=$(web "$base/dicom-web/studies?StudyInstanceUID=$CT_UID" | jq length)
[[ $n == 1 ]] || fail "QIDO by StudyInstanceUID returned $n studies"
desc=$(web "$base/dicom-web/studies?StudyInstanceUID=$CT_UID&includefield=00081030" | jq -r '.[0]["00081030"].Value[0]')
[[ $desc == "Radflare VM CT" ]] || fail "QIDO includefield gave description '$desc'"
series=$(web "$base/dicom-web/studies/$CT_UID/series" | jq -r '.[0]["0020000E"].Value[0]')
web -o "$T/wado.multipart" -H 'Accept: multipart/related; type="application/dicom"' \
  "$base/dicom-web/studies/$CT_UID/series/$series" || fail "WADO-RS series"
parts=$(grep -ac 'Content-Type: application/dicom' "$T/wado.multipart" || true)
[[ $parts == 10 ]] || fail "WADO-RS series: $parts parts, want 10"
n=$(web "http://127.0.0.1:$SEED_PORT/dicom-web/studies" | jq length)
[[ $n == 2 ]] || fail "seed door :8042 lists $n studies, want 2"
ok "STOW-RS 10 instances, QIDO (includefield), WADO-RS series (10 parts) through the forwarded nginx port; :8042 lists 2 studies"

# ------------------------------------------------------------------- OHIF
if command -v node >/dev/null && command -v chromium >/dev/null; then
  install -m 0600 /dev/null "$T/admin-password" && printf '%s\n' "$ADMIN_PW" >"$T/admin-password"
  bash "$SRC/tests/browser/ohif_shows_study.sh" "$base" "$CT_UID" "Radflare VM CT" "$T/admin-password" \
    "$ARTIFACTS/appliance-vm-ohif.png" 240 >"$T/log/browser.log" 2>&1 \
    || fail "OHIF in headless Chromium" "$T/log/browser.log"
  ok "OHIF through the forwarded port shows the study -> $ARTIFACTS/appliance-vm-ohif.png"
else
  echo "# no node/chromium: OHIF check skipped"
fi

# ----------------------------------------------------------------- reboot
powerdown first
ok "QMP system_powerdown: qemu exited after $POWEROFF s"
boot second
wait_booted second
wait_healthy second
REBOOT=$((SECONDS - stage_start))
cond=$(vm systemctl show -p ConditionResult --value radflare-firstboot.service)
[[ $cond == no ]] || fail "radflare-firstboot ran again on the second boot (ConditionResult=$cond)"
vm 'for f in /var/lib/radflare/secrets/*; do cat "$f"; echo; done' | cmp -s - "$T/secrets-first" \
  || fail "secrets changed across the reboot"
n=$(web "$base/dicom-web/studies" | jq length)
[[ $n == 2 ]] || fail "after reboot: $n studies, want 2"
ok "reboot: 'running' and healthy in $REBOOT s; first boot skipped; same secrets; both studies kept"
powerdown second
ok "QMP system_powerdown: qemu exited after $POWEROFF s"

echo "# figures: first boot to running ${BOOT_RUNNING} s, to healthy ${BOOT_HEALTHY} s; reboot to healthy ${REBOOT} s ($accel)"
echo "# appliance VM tier: all steps passed in $((SECONDS - START)) s"
