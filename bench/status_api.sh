#!/usr/bin/env bash
# The status page under load (issue 5): wrk with 50 concurrent clients
# (keep-alive) against GET /api/status of `radflare supervise` running as
# radflare.service in the booted appliance (nspawn tier, tests/appliance/lib.sh),
# from the host across the veth; and the supervisor's memory (VmRSS, and
# VmHWM = its peak) from /proc/PID/status inside the container, before and
# after, with where the resident memory is (smaps). ROUNDS rounds of SECONDS
# each after a 2 s warm-up; prints the rounds and a markdown table with the
# medians. Goal: p99 <= 5 ms, RSS <= 15 MB. Not part of `make test`.
#
# A part of bench/appliance.sh, which boots the container and calls
# status_api_table; alone: sudo bash bench/appliance.sh build/radflare . status
# Use an optimised build (the default RelWithDebInfo of `make`), not Debug.

# COPY SECONDS ROUNDS: the table for the booted container COPY (lib.sh sourced).
status_api_table() {
  local c=$1 secs=$2 rounds=$3 conns=${STATUS_BENCH_CONNECTIONS:-50}
  # One wrk thread: wrk runs on the appliance's own 2 cores here, and a
  # second wrk thread takes the core the server needs (with -t2 the server
  # alone, a bare cpp-httplib hello world, already shows p99 8-13 ms). The
  # real clients are on the office LAN. One -t2 round is shown beside it.
  local wrk_threads=${STATUS_BENCH_WRK_THREADS:-1}
  command -v wrk >/dev/null || fail "needs wrk (scripts/install-deps.sh)"
  local url=http://$CT_IP:8090/api/status
  for _ in $(seq 120); do
    [[ $(http_code "http://$CT_IP:8090/healthz") == 200 ]] && break
    sleep 0.5
  done
  [[ $(http_code "$url") == 200 ]] || fail "$url does not answer 200"
  local bytes; bytes=$(curl -s "$url" | wc -c)
  local pid; pid=$(in_ct "$c" systemctl show -p MainPID --value radflare.service)
  mem() { in_ct "$c" awk -v f="$1:" '$1 == f {print $2}' "/proc/$pid/status"; }
  local rss_before; rss_before=$(mem VmRSS)
  wrk -t"$wrk_threads" -c"$conns" -d2s "$url" >/dev/null 2>&1  # warm-up
  local -a p50=() p99=() rps=() errs=()
  local i line p50_ms p99_ms errors
  for i in $(seq "$rounds"); do
    line=$(wrk -t"$wrk_threads" -c"$conns" -d"${secs}s" --timeout 5s -s "$SRC/bench/status_api.lua" "$url" | grep '^RESULT')
    echo "# round $i: ${line#RESULT }" >&2
    eval "${line#RESULT }"
    p50+=("$p50_ms"); p99+=("$p99_ms"); rps+=("$rps"); errs+=("$errors")
  done
  local t2
  t2=$(wrk -t2 -c"$conns" -d"${secs}s" --timeout 5s -s "$SRC/bench/status_api.lua" "$url" | grep '^RESULT')
  eval "$(sed 's/\([a-z0-9_]*\)=/t2_\1=/g' <<<"${t2#RESULT }")"
  local rss_after hwm anon threads
  rss_after=$(mem VmRSS) hwm=$(mem VmHWM) anon=$(mem RssAnon) threads=$(mem Threads)
  # RSS counts every shared-library page this process maps, also those
  # nginx, PostgreSQL and Orthanc keep resident anyway; PSS divides those
  # among their users, USS (private) is what only the supervisor holds.
  local pss uss
  pss=$(in_ct "$c" awk '$1 == "Pss:" {print $2}' "/proc/$pid/smaps_rollup")
  uss=$(in_ct "$c" awk '$1 == "Private_Clean:" || $1 == "Private_Dirty:" {s += $2} END {print s}' "/proc/$pid/smaps_rollup")
  # Resident kB by mapping: the program, each shared library, the heap and
  # the rest (thread stacks, anonymous), the largest first.
  local smaps
  smaps=$(in_ct "$c" awk '/^[0-9a-f]+-[0-9a-f]+ / {name = (NF >= 6 ? $6 : "[anonymous]"); sub(".*/", "", name)}
    $1 == "Rss:" {rss[name] += $2} END {for (n in rss) if (rss[n] >= 64) printf "%s %d\n", n, rss[n]}' \
    "/proc/$pid/smaps" | sort -k2 -nr | head -12 | awk '{printf "%s%s %.1f", (NR > 1 ? ", " : ""), $1, $2 / 1024}')

  median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
  mb() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
  local m50 m99 mrps goal_p99 goal_rss
  m50=$(median "${p50[@]}") m99=$(median "${p99[@]}") mrps=$(median "${rps[@]}")
  goal_p99=$(awk -v v="$m99" 'BEGIN {print (v <= 5 ? "met" : "**not met**")}')
  goal_rss=$(awk -v v="$hwm" 'BEGIN {print (v <= 15 * 1024 ? "met" : "**not met**")}')
  echo "| status API, GET /api/status (${bytes} B), $conns clients (load $(cut -d' ' -f1-3 /proc/loadavg)) | p50 ms | p99 ms | max ms | req/s | errors | goal |"
  echo "|---|---|---|---|---|---|---|"
  echo "| wrk -t$wrk_threads, ${secs} s × $rounds (medians) | $m50 | $m99 | – | $mrps | $(IFS=+; echo "${errs[*]}") | p99 ≤ 5 ms: $goal_p99 |"
  echo "| wrk -t2, ${secs} s × 1 (wrk takes both cores) | $t2_p50_ms | $t2_p99_ms | $t2_max_ms | $t2_rps | $t2_errors | |"
  echo
  echo "| supervisor memory (MB), $threads threads | RSS before | RSS after | RSS peak | PSS after | USS after | anonymous after | goal |"
  echo "|---|---|---|---|---|---|---|---|"
  echo "| radflare supervise | $(mb "$rss_before") | $(mb "$rss_after") | $(mb "$hwm") | $(mb "$pss") | $(mb "$uss") | $(mb "$anon") | RSS ≤ 15 MB: $goal_rss |"
  echo
  echo "Resident MB by mapping after the load: $smaps."
}

