#!/usr/bin/env bash
# `make demo-vm`: the local twin of the AMI as an operator would meet it on
# EC2 — the Packer-built qcow2 (make image-local; cached) booted under qemu
# with its own kernel and systemd, ports forwarded to 127.0.0.1 only. Waits
# until healthy, stores a generated CT, checks in headless Chromium that OHIF
# shows it, prints the URLs, and runs until Ctrl-C. The disk is a throwaway
# copy: its data goes with it. (`make demo` is the same appliance under
# systemd-nspawn, in seconds instead of minutes.)
#
#   bash tests/vm/demo_vm.sh RADFLARE_BINARY SOURCE_DIR
#
# First run: the image build (~15-20 min on 2 cores); every run: a TCG boot
# (~2-3 min). DEMO_EXIT_AFTER_READY=1 powers off right after the URLs.
set -euo pipefail

echo "demo-vm: the image (make image-local; cached after the first run, which takes ~15-20 min)"
# shellcheck source=tests/vm/lib.sh
source "$(dirname "$0")/lib.sh"

echo "demo-vm: booting it under qemu ($accel; ~2-3 min with TCG)"
boot demo
wait_booted demo
vm cat /var/lib/radflare/secrets/admin-password >"$T/admin-password"
ADMIN_PW=$(cat "$T/admin-password")  # for web(); never printed
wait_healthy demo
ok "appliance booted: '$STATE', radflare.service $(vm systemctl is-active radflare.service)"

base=http://127.0.0.1:$HTTP_PORT
STUDY_UID=$(bash "$SRC/tests/data/store_sample.sh" "$base" "$T/admin-password" "$T" 2>"$T/log/stow.log") \
  || fail "STOW-RS of the sample study" "$T/log/stow.log"
ok "stored a generated 40-slice CT with STOW-RS"

bash "$SRC/tests/browser/ohif_shows_study.sh" "$base" "$STUDY_UID" "Radflare demo CT" "$T/admin-password" \
  "$ARTIFACTS/demo-vm-ohif.png" 240 >"$T/log/browser.log" 2>&1 \
  || fail "OHIF in headless Chromium does not show the sample study" "$T/log/browser.log"
ok "OHIF shows the sample study -> $ARTIFACTS/demo-vm-ohif.png"

cat <<URLS

Radflare appliance is up in $((SECONDS - START)) s (qemu, $accel; every port on 127.0.0.1 only)
  OHIF viewer      $base/ohif/
  sample study     $base/ohif/viewer?StudyInstanceUIDs=$STUDY_UID
  DICOMweb         $base/dicom-web/studies
  seed-compatible  http://127.0.0.1:$SEED_PORT/dicom-web/studies   http://127.0.0.1:$SEED_PORT/app/explorer.html
  DICOM            RADFLARE@127.0.0.1:$DICOM_PORT, e.g.  storescu -aec RADFLARE 127.0.0.1 $DICOM_PORT FILE.dcm
  login            user admin, password:  sudo ssh ${SSH_OPTS[*]} -p $SSH_PORT root@127.0.0.1 radflare admin-password
  console          $T/log/console-demo.log
URLS
if [[ -n ${DEMO_EXIT_AFTER_READY:-} ]]; then
  powerdown demo
  ok "powered off (DEMO_EXIT_AFTER_READY)"
  exit 0
fi
echo "Ctrl-C powers it off."
wait "$QEMU_PID" || true
