#!/usr/bin/env bash
# The status page under load (issue 5): wrk with 50 concurrent clients
# (keep-alive) against GET /api/status of `radflare supervise` running as
# radflare.service in the booted appliance (nspawn tier, tests/appliance/lib.sh),
# from the host across the veth; and the supervisor's memory (VmRSS, and
# VmHWM = its peak) from /proc/PID/status inside the container, before and
# after. ROUNDS rounds of SECONDS each after a 2 s warm-up; prints the rounds
# and a markdown table row with the medians. Goal: p99 <= 5 ms, RSS <= 15 MB.
# Not part of `make test` (timings are not asserted).
#
#   sudo bash bench/status_api.sh build/radflare . [SECONDS=10] [ROUNDS=3]
# Use an optimised build (the default RelWithDebInfo of `make`), not Debug.
set -euo pipefail
RADFLARE=$(realpath "$1")
SRC=$(realpath "$2")
SECS=${3:-10}
ROUNDS=${4:-3}
CONNS=${STATUS_BENCH_CONNECTIONS:-50}
if [[ -z ${RF_APPLIANCE_NS:-} ]]; then
  exec env RF_APPLIANCE_NS=1 unshare --mount --propagation private bash "$0" "$@"
fi
command -v wrk >/dev/null || { echo "needs wrk (scripts/install-deps.sh)" >&2; exit 1; }
# shellcheck source=tests/appliance/lib.sh
source "$SRC/tests/appliance/lib.sh"
rf_build_image >/dev/null
rf_setup_network >/dev/null
C=bench
make_copy "$C"
boot "$C"
wait_booted "$C"
wait_healthy "$C" "http://$CT_IP/dicom-web/studies"
URL=http://$CT_IP:8090/api/status
for _ in $(seq 120); do
  [[ $(http_code "http://$CT_IP:8090/healthz") == 200 ]] && break
  sleep 0.5
done
[[ $(http_code "$URL") == 200 ]] || fail "$URL does not answer 200"
bytes=$(curl -s "$URL" | wc -c)

mem() {  # FIELD -> kB of the supervisor's main process
  local pid; pid=$(in_ct "$C" systemctl show -p MainPID --value radflare.service)
  in_ct "$C" awk -v f="$1:" '$1 == f {print $2}' "/proc/$pid/status"
}
rss_before=$(mem VmRSS)
wrk -t2 -c"$CONNS" -d2s "$URL" >/dev/null 2>&1  # warm-up
declare -a p50 p99 rps errs
for i in $(seq "$ROUNDS"); do
  line=$(wrk -t2 -c"$CONNS" -d"${SECS}s" --timeout 5s -s "$SRC/bench/status_api.lua" "$URL" | grep '^RESULT')
  echo "# round $i: ${line#RESULT }" >&2
  eval "${line#RESULT }"
  p50+=("$p50_ms"); p99+=("$p99_ms"); rps+=("$rps"); errs+=("$errors")
done
rss_after=$(mem VmRSS) hwm=$(mem VmHWM) anon=$(mem RssAnon)
threads=$(in_ct "$C" awk '$1 == "Threads:" {print $2}' "/proc/$(in_ct "$C" systemctl show -p MainPID --value radflare.service)/status")
load=$(cut -d' ' -f1-3 /proc/loadavg)
poweroff "$C"

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
m50=$(median "${p50[@]}") m99=$(median "${p99[@]}") mrps=$(median "${rps[@]}")
mb() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
goal_p99=$(awk -v v="$m99" 'BEGIN {print (v <= 5 ? "met" : "NOT met")}')
goal_rss=$(awk -v v="$hwm" 'BEGIN {print (v <= 15 * 1024 ? "met" : "NOT met")}')
echo "| status API ($CONNS clients, ${SECS} s × $ROUNDS, nspawn, load $load) | p50 ms | p99 ms | req/s | errors | supervisor RSS before / after / peak (MB) | of which anonymous after (MB) | threads | goals |"
echo "|---|---|---|---|---|---|---|---|---|"
echo "| GET /api/status (${bytes} B) | $m50 | $m99 | $mrps | $(IFS=+; echo "${errs[*]}") | $(mb "$rss_before") / $(mb "$rss_after") / $(mb "$hwm") | $(mb "$anon") | $threads | p99 ≤ 5 ms: $goal_p99; RSS ≤ 15 MB: $goal_rss |"
