#!/usr/bin/env bash
# Step 90: make the system an image: nothing unique to this build machine
# and no secret. Removes ssh host keys, the build's login keys, apt lists,
# logs, the random seed; empties /etc/machine-id (systemd makes a new one at
# the first boot of each instance); cloud-init clean. Then scans the whole
# system (scan-secrets.sh) and FAILS if anything secret is left — including
# Radflare secrets, which only the first boot of an instance may create.
set -euo pipefail
say() { echo "90-cleanup: $*"; }
here=$(cd "$(dirname "$0")" && pwd)
# Kept in memory: this folder may be inside the stage, which goes away.
scan=$(cat "$here/scan-secrets.sh")
STAGE=${RADFLARE_STAGE:-/tmp/radflare-stage}
export DEBIAN_FRONTEND=noninteractive

if [[ -e /var/lib/radflare/firstboot.done ]]; then
  say "this machine has had its first boot (/var/lib/radflare/firstboot.done): it is an instance, not an image" >&2
  exit 1
fi
running=false
[[ -d /run/systemd/system ]] && ! systemd-detect-virt -q --chroot 2>/dev/null && running=true

# Services started by package installs (in a VM build) used the distro
# defaults; stop them so nothing writes while we clean.
if $running; then
  systemctl stop orthanc.service nginx.service 'postgresql@*.service' 2>/dev/null || true
fi
# Orthanc's own default configuration (SQLite in /var/lib/orthanc/db) may
# have run once at package install in a VM build: the appliance's storage
# starts empty.
if [[ -d /var/lib/orthanc/db ]]; then
  find /var/lib/orthanc/db -mindepth 1 -delete
fi

# cloud-init: forget this instance (logs, seed, instance data).
if command -v cloud-init >/dev/null; then
  cloud-init clean --logs --seed
  say "cloud-init clean"
fi

# apt: caches and lists (the first apt-get update of an instance fetches them).
apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin
say "apt caches and lists removed"

# Identity and randomness of this machine.
rm -f /etc/ssh/ssh_host_*
: >/etc/machine-id
[[ -f /var/lib/dbus/machine-id && ! -L /var/lib/dbus/machine-id ]] && rm -f /var/lib/dbus/machine-id
# On a live system (Packer, EC2) systemd-random-seed writes the seed again at
# shutdown: stop it first so the image ships none.
$running && systemctl stop systemd-random-seed.service
rm -f /var/lib/systemd/random-seed /var/lib/systemd/credential.secret
# The snakeoil pair made by ssl-cert at install: each instance makes its own
# at first boot (radflare-firstboot).
rm -f /etc/ssl/private/ssl-cert-snakeoil.key /etc/ssl/certs/ssl-cert-snakeoil.pem
say "ssh host keys, snakeoil pair, random seed removed; /etc/machine-id emptied"

# The build's login keys and shell history (root and every home folder).
for d in /root /home/*; do
  [[ -d $d ]] || continue
  rm -f "$d"/.ssh/authorized_keys "$d"/.ssh/authorized_keys2 "$d"/.*_history "$d"/.lesshst "$d"/.wget-hsts
done
rm -f /var/lib/postgresql/.*_history
say "login keys and shell history removed"

# Logs: rotated files removed, live files emptied (ownership kept), journal gone.
# journald writes to /run from here on (the build's shutdown leaves no journal
# named after this build machine); the next boot flushes to /var again.
if $running; then journalctl --relinquish-var >/dev/null 2>&1 || true; fi
rm -rf /var/log/journal/*
find /var/log -type f \( -name '*.gz' -o -name '*.[0-9]' -o -name '*.old' \) -delete
find /var/log -type f -exec truncate -s 0 {} +
say "logs emptied"

# Temporary files; the stage last (unless it is a read-only bind mount).
find /tmp /var/tmp -mindepth 1 -maxdepth 1 ! -path "$STAGE" -exec rm -rf {} + 2>/dev/null || true
if [[ -d $STAGE ]] && ! mountpoint -q "$STAGE"; then
  rm -rf "$STAGE"
  say "stage $STAGE removed"
fi

say "scanning for secrets"
bash -c "$scan" scan-secrets.sh /
