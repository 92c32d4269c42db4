# Shared by the appliance tiers (tests/appliance/*_tier.sh): the provisioned
# rootfs booted with systemd as PID 1 under systemd-nspawn, in throwaway
# overlays, each in a network namespace joined to the host by a veth pair.
# A tier called as `TIER.sh RADFLARE_BINARY SOURCE_DIR [ARG...]` starts with
#   source "$(dirname "$0")/lib.sh"
# (no arguments: lib.sh reads the script's own), which re-runs the script in
# a private mount namespace, so that its overlays and the netns mount vanish
# with it, and sets RADFLARE and SRC; then it calls rf_build_image and
# rf_setup_network.
# shellcheck shell=bash

[[ $(id -u) == 0 ]] || { echo "not ok - needs root"; exit 1; }
if [[ -z ${RF_APPLIANCE_NS:-} ]]; then
  exec env RF_APPLIANCE_NS=1 unshare --mount --propagation private bash "$0" "$@"
fi
RADFLARE=$(realpath "$1")
SRC=$(realpath "$2")

PY=/usr/bin/python3   # Debian's, with pydicom and numpy
ARTIFACTS=${ARTIFACTS_DIR:-$SRC/build/artifacts}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-240}
# Units that may fail in a container without harm (none known today; a
# failure of anything else fails the test).
KNOWN_HARMLESS=" "

# shellcheck source=tests/lib/steps.sh
source "$SRC/tests/lib/steps.sh"
for c in systemd-nspawn mmdebstrap storescu jq chromium node cpack nsenter ip; do
  command -v "$c" >/dev/null || fail "missing command $c (scripts/install-deps.sh)"
done

# Containers of an earlier run whose script died (a test timeout, ^C in the
# wrong place) keep running, reparented to PID 1: their services load the
# machine and their cgroups have made systemd fail to kill units in new
# containers. Power them off before booting ours.
for p in $(pgrep -P 1 -f '^systemd-nspawn .* -M radflare-' || true); do
  echo "# powering off container $(tr '\0' ' ' </proc/"$p"/cmdline | grep -o -- '-M [^ ]*') left by an earlier run" >&2
  kill -TERM "$p" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  pkill -KILL -P "$p" 2>/dev/null || true   # its PID 1: the whole container goes with it
  kill -KILL "$p" 2>/dev/null || true
done

T=$(mktemp -d "${TMPDIR:-/tmp}/radflare-nspawn.XXXXXX")
chmod 0755 "$T"
mkdir -p "$T/log"
NETNS=rfnspawn$$
VETH=rfv$$
declare -A NSPAWN_PID=()   # copy -> nspawn process

# ---------------------------------------------------------------- helpers
leader() {  # COPY -> PID of the container's PID 1 (systemd) as seen here
  local p=${NSPAWN_PID[$1]:-} c
  [[ -n $p ]] || return 1
  # nspawn's child becomes systemd only once the container is set up.
  for c in $(pgrep -P "$p"); do
    [[ $(ps -o comm= -p "$c") == systemd ]] && { echo "$c"; return 0; }
  done
  return 1
}
in_ct() {  # COPY CMD... : run inside the container (all namespaces)
  local pid1; pid1=$(leader "$1"); shift
  [[ -n $pid1 ]] || return 1
  nsenter -t "$pid1" -a "$@"
}
in_ct_net() {  # COPY CMD... : a host command inside the container's network only
  local pid1; pid1=$(leader "$1"); shift
  nsenter -t "$pid1" -n "$@"
}

# A throwaway copy: an overlay whose upper layer is the copy's own state.
make_copy() {  # COPY
  local d=$T/$1
  mkdir -p "$d/upper" "$d/work" "$d/root"
  mount -t overlay overlay -o "lowerdir=$IMAGE,upperdir=$d/upper,workdir=$d/work" "$d/root"
}

boot() {  # COPY
  local c=$1
  systemd-nspawn -b -D "$T/$c/root" --register=no --keep-unit -M "radflare-$c" \
    --network-namespace-path="/run/netns/$NETNS" --link-journal=no --resolv-conf=off \
    --timezone=off --console=read-only >>"$T/log/console-$c.log" 2>&1 </dev/null &
  NSPAWN_PID[$c]=$!
  for _ in $(seq 300); do leader "$c" >/dev/null && return 0; sleep 0.1; done
  fail "systemd-nspawn did not start copy $c" "$T/log/console-$c.log"
}

# Wait until the boot finished, then demand "running" (or "degraded" with
# only known-harmless failed units). Sets STATE.
wait_booted() {  # COPY
  local c=$1 state failed u
  local deadline=$((SECONDS + BOOT_TIMEOUT))
  # Until systemd's bus is up, systemctl answers nothing: retry until it
  # reports the state at the end of the boot.
  while :; do
    state=$(timeout $((deadline - SECONDS > 0 ? deadline - SECONDS : 1)) \
      nsenter -t "$(leader "$c" || echo 0)" -a systemctl is-system-running --wait 2>/dev/null || true)
    [[ -n $state && $state != starting && $state != initializing && $state != offline ]] && break
    ((SECONDS < deadline)) || break
    kill -0 "${NSPAWN_PID[$c]}" 2>/dev/null || fail "copy $c: the container exited during boot" "$T/log/console-$c.log"
    sleep 0.5
  done
  if [[ $state != running ]]; then
    failed=$(in_ct "$c" systemctl list-units --state=failed --no-legend --plain | awk '{print $1}' || true)
    for u in $failed; do
      [[ $KNOWN_HARMLESS == *" $u "* ]] && continue
      in_ct "$c" journalctl -b --no-pager -n 60 -u "$u" >"$T/log/failed-$c-$u.log" 2>&1 || true
      fail "copy $c: system is '$state', unit $u failed" "$T/log/failed-$c-$u.log"
    done
    [[ $state == degraded ]] || {
      in_ct "$c" journalctl -b --no-pager -n 80 >"$T/log/journal-$c.log" 2>&1 || true
      fail "copy $c: system is '$state' after ${BOOT_TIMEOUT} s" "$T/log/journal-$c.log"
    }
  fi
  STATE=$state
}

poweroff() {  # COPY
  local c=$1 p=${NSPAWN_PID[$1]:-}
  [[ -n $p ]] || return 0
  in_ct "$c" systemctl poweroff >/dev/null 2>&1 || kill -TERM "$p" 2>/dev/null || true
  for _ in $(seq 300); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$p" 2>/dev/null; then
    echo "# copy $c did not power off within 30 s; killing it" >&2
    kill -KILL "$p" 2>/dev/null || true
  fi
  wait "$p" 2>/dev/null || true
  unset "NSPAWN_PID[$c]"
}

cleanup() {
  local rc=$? c
  for c in "${!NSPAWN_PID[@]}"; do poweroff "$c"; done
  ip netns del "$NETNS" 2>/dev/null || true
  ip link del "$VETH" 2>/dev/null || true
  for c in "$T"/*/root; do umount "$c" 2>/dev/null || true; done
  if [[ -n ${RF_KEEP:-} ]]; then
    echo "# RF_KEEP set: leaving $T" >&2
  elif ! findmnt -rn -o TARGET | grep -q "^$T"; then
    rm -rf --one-file-system "$T"
  else
    echo "# mounts left under $T; not removing it" >&2
  fi
  return "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

web() { curl -sS --fail-with-body --max-time 60 -u "admin:$ADMIN_PW" "$@"; }
# Healthy: an authenticated QIDO through nginx reaches Orthanc and its
# database (200), i.e. every unit of the chain answers, not just systemd.
wait_healthy() {  # COPY URL
  local c=$1 url=$2 pwf=$T/$1/root/var/lib/radflare/secrets/admin-password
  for _ in $(seq $((BOOT_TIMEOUT * 2))); do
    if [[ -s $pwf ]] && [[ $(http_code -u "admin:$(cat "$pwf")" "$url") == 200 ]]; then return 0; fi
    sleep 0.5
  done
  fail "copy $c: $url did not answer 200 within $BOOT_TIMEOUT s" "$T/log/console-$c.log"
}
http_code() { curl -s -o /dev/null --max-time 10 -w '%{http_code}' "$@"; }
# OHIF in headless Chromium through the container's nginx shows STUDY_UID
# with TEXT; screenshot in $ARTIFACTS/NAME.png. Needs $T/admin-password.
ohif_shows_study() {  # STUDY_UID TEXT NAME
  bash "$SRC/tests/browser/ohif_shows_study.sh" "http://$CT_IP" "$1" "$2" "$T/admin-password" \
    "$ARTIFACTS/$3.png" >"$T/log/browser-$3.log" 2>&1 \
    || fail "OHIF in headless Chromium does not show study $1 ('$2')" "$T/log/browser-$3.log"
}
secrets_of() {  # COPY -> "name sha256" lines of the first-boot secrets
  (cd "$T/$1/root/var/lib/radflare/secrets" && sha256sum -- * | awk '{print $2, $1}')
}


# Package the supervisor and build (or reuse) the provisioned rootfs: $IMAGE.
rf_build_image() {
  debdir=$T/deb
  (cd "$(dirname "$RADFLARE")" && cpack -G DEB -B "$debdir") >"$T/log/cpack.log" 2>&1 \
    || fail "cpack -G DEB" "$T/log/cpack.log"
  DEB=$(find "$debdir" -maxdepth 1 -name 'radflare_*.deb' | head -n1)
  ok "package $(basename "$DEB")"

  IMAGE=$(bash "$SRC/image/rootfs-build.sh" --deb "$DEB" 2>"$T/log/rootfs-build.log" | tail -n1) \
    || fail "image/rootfs-build.sh" "$T/log/rootfs-build.log"
  grep -q 'image layer .* is cached' "$T/log/rootfs-build.log" && how=cached || how=built
  ok "rootfs $how: $IMAGE ($(du -sh "$IMAGE" | cut -f1))"

  bash "$SRC/image/scripts/scan-secrets.sh" "$IMAGE" >"$T/log/scan.log" 2>&1 \
    || fail "image scan found secrets" "$T/log/scan.log"
  for f in /usr/bin/radflare /usr/lib/radflare/firstboot /usr/share/radflare/ohif/index.html \
           /usr/lib/systemd/system/radflare-firstboot.service /etc/radflare.toml; do
    [[ -e $IMAGE$f ]] || fail "image lacks $f"
  done
  [[ ! -e $IMAGE/etc/nginx/sites-enabled/default ]] || fail "image still has nginx's default site"
  [[ -z $(ls "$IMAGE"/etc/postgresql/*/*/postgresql.conf 2>/dev/null) ]] || fail "image ships a PostgreSQL cluster"
  ok "image scan: no private key, password hash, ssh host key, machine-id, login key or secret"

}

# The network namespace the copies boot in: $HOST_IP here, $CT_IP inside.
rf_setup_network() {
  # 10.231.N.0/30, N free on this host: .1 here, .2 in the container.
  for _ in $(seq 20); do
    n=$((RANDOM % 250 + 1))
    ip -4 addr | grep -q "10\.231\.$n\." || break
  done
  HOST_IP=10.231.$n.1 CT_IP=10.231.$n.2
  export no_proxy=${no_proxy:+$no_proxy,}$CT_IP NO_PROXY=${NO_PROXY:+$NO_PROXY,}$CT_IP
  ip netns add "$NETNS"
  ip link add "$VETH" type veth peer name eth0 netns "$NETNS"
  ip addr add "$HOST_IP/30" dev "$VETH" && ip link set "$VETH" up
  ip -n "$NETNS" addr add "$CT_IP/30" dev eth0
  ip -n "$NETNS" link set eth0 up && ip -n "$NETNS" link set lo up
  ok "network namespace $NETNS: host $HOST_IP <-> container $CT_IP"

}
