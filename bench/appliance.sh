#!/usr/bin/env bash
# `make bench`, second part: the booted appliance (the provisioned rootfs with
# systemd as PID 1 under systemd-nspawn, tests/appliance/lib.sh) — boot to
# healthy, reload latency (bench/reload_latency.sh) and the status page under
# 50 clients with the supervisor's memory (bench/status_api.sh). Prints
# markdown and appends it to the results file of bench/bench.sh.
#
#   sudo bash bench/appliance.sh RADFLARE_BINARY SOURCE_DIR [PART...]
#
# PART: boot, reload, status (default: all three, in that order).
# RELOAD_ROUNDS (10), STATUS_SECONDS (10), STATUS_ROUNDS (3)
# BENCH_OUT (today's newest SOURCE_DIR/bench/results/DATE*.md, the one bench.sh
#           just wrote; DATE.md if there is none)  the file appended to
set -euo pipefail
PARTS=" ${*:3} "
[[ $PARTS != "  " ]] || PARTS=" boot reload status "
[[ $(id -u) == 0 ]] || { echo "bench: run as root (sudo make bench)" >&2; exit 1; }
# shellcheck source=tests/appliance/lib.sh
source "$(dirname "$0")/../tests/appliance/lib.sh"  # re-runs this script in a private mount namespace; sets RADFLARE, SRC
# shellcheck source=bench/reload_latency.sh
source "$SRC/bench/reload_latency.sh"
# shellcheck source=bench/status_api.sh
source "$SRC/bench/status_api.sh"
today=$(date -u +%Y-%m-%d)
out=${BENCH_OUT:-$(find "$SRC/bench/results" -maxdepth 1 -name "$today*.md" -printf '%T@ %p\n' 2>/dev/null | sort -n | tail -n1 | cut -d' ' -f2-)}
out=${out:-$SRC/bench/results/$today.md}
say() { echo "bench: $* ($((SECONDS - START)) s)" >&2; }

rf_build_image >/dev/null
rf_setup_network >/dev/null
say "appliance rootfs ready"

ms_now() { echo $(($(date +%s%N) / 1000000)); }
boot_to_healthy() {  # COPY: sets BOOT_MS, from starting nspawn to an authenticated QIDO through nginx answering 200
  local t0; t0=$(ms_now)   # (not in $(...): boot must record the container in this shell)
  boot "$1"
  wait_booted "$1"
  wait_healthy "$1" "http://$CT_IP/dicom-web/studies"
  BOOT_MS=$(($(ms_now) - t0))
}
make_copy bench
boot_to_healthy bench
first=$BOOT_MS
if [[ $PARTS == *" boot "* ]]; then
  poweroff bench
  boot_to_healthy bench
  again=$BOOT_MS
  say "booted: first boot $first ms, reboot $again ms"
fi

{
  echo
  echo "## The booted appliance (bench/appliance.sh: nspawn, systemd as PID 1, $(nproc) cores)"
  if [[ $PARTS == *" boot "* ]]; then
    echo
    echo "| boot to healthy (an authenticated QIDO through nginx answers 200) | ms |"
    echo "|---|---|"
    echo "| first boot of a fresh copy (secrets, database, first render) | $first |"
    echo "| reboot of the same copy | $again |"
  fi
  if [[ $PARTS == *" reload "* ]]; then
    echo
    reload_latency_table bench "${RELOAD_ROUNDS:-10}"
  fi
  if [[ $PARTS == *" status "* ]]; then
    echo
    status_api_table bench "${STATUS_SECONDS:-10}" "${STATUS_ROUNDS:-3}"
  fi
} | tee -a "$out"
poweroff bench
say "appended to $out"
