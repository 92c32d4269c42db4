#!/usr/bin/env bash
# `make demo`: the appliance itself, booted. The provisioned rootfs (the same
# provisioning scripts as the AMI and the qemu image) runs under
# systemd-nspawn with systemd as PID 1 and radflare.service doing its first
# boot, in a network namespace this machine reaches at 10.231.N.2. Stores a
# generated CT, checks that OHIF shows it (headless Chromium), prints the URLs,
# and runs until Ctrl-C. The copy is throwaway: its data goes with it.
#
#   bash tests/appliance/demo.sh RADFLARE_BINARY SOURCE_DIR
#
# DEMO_EXIT_AFTER_READY=1  power off right after printing the URLs (smoke test)
set -euo pipefail

# shellcheck source=tests/appliance/lib.sh
source "$(dirname "$0")/lib.sh"  # re-runs this script in a private mount namespace; sets RADFLARE, SRC
echo "demo: building the appliance rootfs (cached after the first run; the first takes ~5 min)"
rf_build_image
rf_setup_network

C=demo
make_copy "$C"
boot "$C"
wait_booted "$C"
wait_healthy "$C" "http://$CT_IP/dicom-web/studies"
ok "appliance booted: '$STATE', radflare.service $(in_ct "$C" systemctl is-active radflare.service)"
cp "$T/$C/root/var/lib/radflare/secrets/admin-password" "$T/admin-password"
ADMIN_PW=$(cat "$T/admin-password")  # for web(); never printed

# ------------------------------------------------------------ sample study
STUDY_UID=$(bash "$SRC/tests/data/store_sample.sh" "http://$CT_IP" "$T/admin-password" "$T" 2>"$T/log/stow.log") \
  || fail "STOW-RS of the sample study" "$T/log/stow.log"
ok "stored a generated 40-slice CT with STOW-RS"

ohif_shows_study "$STUDY_UID" "Radflare demo CT" demo-ohif
ok "OHIF shows the sample study -> $ARTIFACTS/demo-ohif.png"

cat <<URLS

Radflare appliance is up in $((SECONDS - START)) s (systemd-nspawn, address $CT_IP)
  OHIF viewer      http://$CT_IP/ohif/
  sample study     http://$CT_IP/ohif/viewer?StudyInstanceUIDs=$STUDY_UID
  DICOMweb         http://$CT_IP/dicom-web/studies
  seed-compatible  http://$CT_IP:8042/dicom-web/studies   http://$CT_IP:8042/app/explorer.html
  DICOM            RADFLARE@$CT_IP:4242, e.g.  storescu -aec RADFLARE $CT_IP 4242 FILE.dcm
  status page      http://$CT_IP:8090/
  login            user admin, password: sudo nsenter -t $(leader "$C") -a radflare admin-password
  a shell inside   sudo nsenter -t $(leader "$C") -a bash
URLS
[[ ${DEMO_EXIT_AFTER_READY:-} == 1 ]] && { poweroff "$C"; exit 0; }
echo "Ctrl-C powers the appliance off."
wait "${NSPAWN_PID[$C]}" || true
