#!/usr/bin/env bash
# Step 40: the rootfs/ overlay (/etc/radflare.toml, the first-boot script),
# the units and drop-ins, which units start at boot, and the distribution
# defaults the appliance replaces (nginx's default site, the package-made
# PostgreSQL cluster, certbot's own timer).
set -euo pipefail
say() { echo "40-rootfs: $*"; }
STAGE=${RADFLARE_STAGE:-/tmp/radflare-stage}
UNIT_DIR=/usr/lib/systemd/system
umask 022

for d in rootfs units; do
  [[ -d $STAGE/$d ]] || { say "no $d/ in $STAGE" >&2; exit 1; }
done

# 1. The overlay: files owned by root, modes as in the repository.
cp -R --no-preserve=ownership "$STAGE/rootfs/." /
say "overlay: $(cd "$STAGE/rootfs" && find . -type f | sed 's#^\.##' | tr '\n' ' ')"

# 2. Units and drop-ins (vendor directory: operators override in /etc).
n=0
for f in "$STAGE"/units/*.service; do
  install -m 0644 "$f" "$UNIT_DIR/"; n=$((n + 1))
done
for d in "$STAGE"/units/*.d; do
  [[ -d $d ]] || continue
  install -d -m 0755 "$UNIT_DIR/$(basename "$d")"
  for f in "$d"/*.conf; do install -m 0644 "$f" "$UNIT_DIR/$(basename "$d")/"; n=$((n + 1)); done
done
say "installed $n units and drop-ins into $UNIT_DIR"

# Outside a running systemd (a chroot) systemctl edits the links offline.
running=false
[[ -d /run/systemd/system ]] && ! systemd-detect-virt -q --chroot 2>/dev/null && running=true
$running && systemctl daemon-reload

# 3. What starts at boot: the services, and radflare.service, the supervisor
#    that applies later edits of /etc/radflare.toml (systemctl reload radflare).
enable=(radflare-firstboot.service radflare-db-setup.service radflare-ssh-hostkeys.service
        postgresql.service orthanc.service nginx.service radflare.service)
systemctl enable --quiet "${enable[@]}"
say "enabled ${enable[*]}"

# 4. certbot's own timer (and cron job, which defers to the timer under
#    systemd): certificate renewal belongs to the supervisor.
if [[ -f $UNIT_DIR/certbot.timer || -f /lib/systemd/system/certbot.timer ]]; then
  if $running; then systemctl stop certbot.timer 2>/dev/null || true; fi
  systemctl mask --quiet certbot.timer
  say "masked certbot.timer"
fi
if [[ -f /etc/cron.d/certbot ]]; then  # inert under systemd, but say so plainly
  rm -f /etc/cron.d/certbot
  say "removed certbot's cron job"
fi

# 5. nginx's default site (it would listen on :80 beside radflare's site).
if [[ -e /etc/nginx/sites-enabled/default || -L /etc/nginx/sites-enabled/default ]]; then
  rm -f /etc/nginx/sites-enabled/default
  say "removed nginx's default site"
fi

# 6. The cluster the postgresql package made at install time: every instance
#    gets its own, made at first boot (own initdb, the configured port). Only
#    on a machine that has not had its first boot: never drop a live cluster.
if [[ ! -e /var/lib/radflare/firstboot.done ]] && command -v pg_lsclusters >/dev/null; then
  pg_lsclusters -h 2>/dev/null | while read -r version cluster _; do
    pg_dropcluster --stop "$version" "$cluster"
    say "dropped the package's PostgreSQL cluster $version/$cluster (first boot makes this instance's)"
  done
fi
say "done"
