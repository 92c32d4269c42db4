#!/usr/bin/env bash
# Reload latency of the supervisor on real systemd (nspawn tier): how long
# `systemctl reload radflare` takes when nothing changed, when only an OHIF
# setting changed (a file, no restart) and when a CORS origin changed (nginx
# reload). Bounded: N rounds of each, alternating. Prints a markdown table.
#
#   bash bench/reload_latency.sh RADFLARE_BINARY SOURCE_DIR [ROUNDS]
set -euo pipefail
RADFLARE=$(realpath "$1")
SRC=$(realpath "$2")
ROUNDS=${3:-15}
if [[ -z ${RF_APPLIANCE_NS:-} ]]; then
  exec env RF_APPLIANCE_NS=1 unshare --mount --propagation private bash "$0" "$@"
fi
# shellcheck source=tests/appliance/lib.sh
source "$SRC/tests/appliance/lib.sh"
rf_build_image >/dev/null
rf_setup_network >/dev/null
C=bench
TOML=$T/$C/root/etc/radflare.toml
make_copy "$C"
boot "$C"
wait_booted "$C"
wait_healthy "$C" "http://$CT_IP/dicom-web/studies"

# Milliseconds one `systemctl reload radflare` takes, end to end.
reload_ms() {
  local t0 t1
  t0=$(date +%s%N)
  in_ct "$C" systemctl reload radflare.service
  t1=$(date +%s%N)
  echo $(((t1 - t0) / 1000000))
}
# The time systemctl itself needs inside the container (nsenter + D-Bus), to subtract.
baseline_ms() {
  local t0 t1
  t0=$(date +%s%N)
  in_ct "$C" systemctl is-active radflare.service >/dev/null
  t1=$(date +%s%N)
  echo $(((t1 - t0) / 1000000))
}
# The same systemd reload job for a unit whose reload does nothing at all
# (ExecReload=/bin/true): what any `systemctl reload` costs here.
in_ct "$C" systemd-run --quiet --unit=rf-bench-noop -p ExecReload=/bin/true sleep infinity
noop_unit_ms() {
  local t0 t1
  t0=$(date +%s%N)
  in_ct "$C" systemctl reload rf-bench-noop.service
  t1=$(date +%s%N)
  echo $(((t1 - t0) / 1000000))
}
declare -A samples=()
for i in $(seq "$ROUNDS"); do
  samples[baseline]+="$(baseline_ms) "
  samples[noopunit]+="$(noop_unit_ms) "
  samples[noop]+="$(reload_ms) "
  w=$((3 + i % 2))
  sed -i "s/^max_web_workers = [0-9]*/max_web_workers = $w/" "$TOML"
  samples[ohif]+="$(reload_ms) "
  o=$([[ $((i % 2)) == 1 ]] && echo '["https://a.example.com"]' || echo '[]')
  sed -i "s#^cors_origins = .*#cors_origins = $o#" "$TOML"
  samples[cors]+="$(reload_ms) "
done
# What the supervisor itself spent (its journal: "reload no change in N ms").
samples[inside]=$(in_ct "$C" journalctl -u radflare.service --no-pager -o cat | sed -n 's/^info: reload no change in \([0-9]*\) ms$/\1/p' | tr '\n' ' ')
poweroff "$C"

stats() {  # "min median max" of the samples
  tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{a[NR]=$1} END {print a[1], a[int((NR+1)/2)], a[NR]}'
}
read -r bmin bmed bmax <<<"$(stats "${samples[baseline]}")"
read -r umin umed umax <<<"$(stats "${samples[noopunit]}")"
echo "| reload ($ROUNDS rounds, nspawn, 2 cores) | median ms | min–max ms | median minus systemctl round trip | goal |"
echo "|---|---|---|---|---|"
for k in noop ohif cors; do
  read -r lo med hi <<<"$(stats "${samples[$k]}")"
  case $k in
    noop) name="no-op (nothing changed)"; goal=$((med - umed <= 100 ? 1 : 0)) ;;
    ohif) name="one OHIF setting (file only)"; goal=- ;;
    cors) name="one CORS origin (nginx -t + reload)"; goal=- ;;
  esac
  g=$([[ $goal == 1 ]] && echo "≤ 100 ms: met" || { [[ $goal == 0 ]] && echo "≤ 100 ms: NOT met" || echo ""; })
  echo "| $name | $med | $lo–$hi | $((med - bmed)) | $g |"
done
echo "| systemctl round trip alone (is-active) | $bmed | $bmin–$bmax | – | |"
echo "| systemctl reload of a unit whose reload is /bin/true | $umed | $umin–$umax | $((umed - bmed)) | |"
read -r imin imed imax <<<"$(stats "${samples[inside]}")"
echo "| no-op reload inside the supervisor (its journal) | $imed | $imin–$imax | – | |"
read -r _ nmed _ <<<"$(stats "${samples[noop]}")"
echo
echo "Goal (no-op ≤ 100 ms) is checked against the /bin/true unit: radflare adds $((nmed - umed)) ms to"
echo "systemd's own reload job; the supervisor's share of that is $imed ms."
