# The scenarios (sourced by bench.sh). Each runs RUNS rounds; in every round
# the three configurations take turns (a, b, c), so drift hits all alike.
# Every timed value goes to results.tsv as: scenario, configuration, run, value.
# Measuring functions leave their value in RESULT (no subshell: a failure
# must stop the whole benchmark with its message).
# shellcheck shell=bash

CFGS="a b c"
READ_RUNS=${BENCH_READ_RUNS:-7}   # the scenarios the proxy-cost goals judge get more runs (per-round ratios spread 0.6-1.4)
record() { printf '%s\t%s\t%s\t%s\n' "$@" >>"$T/results.tsv"; }
per_second() { awk -v n="$1" -v t0="$2" -v t1="$3" 'BEGIN { printf "%.2f", n / (t1 - t0) }'; }

# ------------------------------------------------------------------ ingest
# STOW-RS of N different 100-instance CTs (s2..), one curl per study, all at
# once; inst/s over the wall time of the slowest. The seed's nginx refuses
# bodies over 1 MB (413), so (b) is measured at its Orthanc directly (bd).
stow_run() {  # TARGET N SCENARIO RUN -> RESULT inst/s (and the CPU per MB)
  local t=$1 n=$2 i t0 t1 pids=() code mb=0
  cpu_begin "$t"
  t0=$EPOCHREALTIME
  for ((i = 2; i < n + 2; i++)); do
    stow_file "$t" "s$i" >"$T/log/stow-$i.code" &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i" || rf_fail "STOW-RS ($t): curl failed"; done
  t1=$EPOCHREALTIME
  for ((i = 2; i < n + 2; i++)); do mb=$((mb + $(stat -c %s "$DATA/s$i.body"))); done
  cpu_end "$t" "$3" "$4" "$(awk -v b=$mb 'BEGIN { print b / 1e6 }')"
  for ((i = 2; i < n + 2; i++)); do
    read -r code _ <"$T/log/stow-$i.code"
    [[ $code == 200 ]] || rf_fail "STOW-RS ($t) of s$i answered $code" "$T/log/stow-$t-s$i.json"
  done
  check_and_delete "$t" "$n" 100
  RESULT=$(per_second $((100 * n)) "$t0" "$t1")
}

# C-STORE of the same studies, one storescu (one association) per study,
# CSTORE_SLICES of each (C-STORE is the slow path: this bounds the time).
CSTORE_SLICES=${CSTORE_SLICES:-50}
cstore_run() {  # CFG N -> RESULT inst/s
  local c=$1 n=$2 i t0 t1 pids=() files
  t0=$EPOCHREALTIME
  for ((i = 2; i < n + 2; i++)); do
    files=("$DATA/s$i"/*.dcm)
    storescu -aec "${AET[$c]}" 127.0.0.1 "${DICOM[$c]}" "${files[@]:0:CSTORE_SLICES}" >"$T/log/storescu-$c-$i.log" 2>&1 &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i" || rf_fail "storescu to ($c) failed" "$T/log/storescu-$c-2.log"; done
  t1=$EPOCHREALTIME
  check_and_delete "$c" "$n" "$CSTORE_SLICES"
  RESULT=$(per_second $((CSTORE_SLICES * n)) "$t0" "$t1")
}

# Every study stored whole, then deleted (not timed) for the next run.
check_and_delete() {  # TARGET N [INSTANCES]
  local i uid got
  for ((i = 2; i < $2 + 2; i++)); do
    uid=$(cat "$DATA/s$i.uid")
    got=$(count_instances "$1" "$uid")
    [[ $got == "${3:-100}" ]] || rf_fail "($1) holds $got instances of s$i after the upload, want ${3:-100}"
    delete_study "$1" "$uid"
  done
}

ingest_scenario() {  # NAME KIND N
  local run c t
  for ((run = 1; run <= RUNS; run++)); do
    for c in $CFGS; do
      if [[ $2 == stow ]]; then
        t=$c; [[ $c == b ]] && t=bd
        stow_run "$t" "$3" "$1" "$run"
      else
        cstore_run "$c" "$3"
      fi
      record "$1" "$c" "$run" "$RESULT"
    done
  done
}

scenario_stow1() {
  # The seed's own door first: the same 52 MB body through its nginx.
  local code
  read -r code _ < <(stow_file b s2)
  meta stow_http_b "$code"
  [[ $code == 413 ]] || delete_study b "$(cat "$DATA/s2.uid")"
  read -r code _ < <(stow_file c s2)
  meta stow_http_c "$code"
  [[ $code == 200 ]] && delete_study c "$(cat "$DATA/s2.uid")"
  meta stow_mb "$(stat -c %s "$DATA/s2.body" | awk '{printf "%.1f", $1 / 1e6}')"
  RUNS=$READ_RUNS ingest_scenario stow1 stow 1   # a goal: as many runs
}
scenario_stow4() { RUNS=$READ_RUNS ingest_scenario stow4 stow 4; }  # a goal: as many runs
scenario_cstore1() { ingest_scenario cstore1 cstore 1; }
scenario_cstore4() { ingest_scenario cstore4 cstore 4; }

# ------------------------------------------------------------------- QIDO
# wrk, one connection, QIDO_SECONDS per run: study by StudyInstanceUID.
scenario_qido() {
  local run c out header
  for ((run = 1; run <= READ_RUNS; run++)); do
    for c in $CFGS; do
      header="Basic $(printf %s "${AUTH[$c]}" | base64 -w0)"
      out=$(BENCH_AUTH=$header wrk -t1 -c1 -d"${QIDO_SECONDS:-3}s" --timeout 5s -s "$BENCH/qido.lua" \
        "${URL[$c]}/dicom-web/studies?StudyInstanceUID=$REF_STUDY") || rf_fail "wrk ($c)"
      awk '/^requests/ {r = $2} /^errors/ {e = $2} END {exit !(r > 0 && e == 0)}' <<<"$out" \
        || rf_fail "QIDO ($c): $(tr '\n' ' ' <<<"$out")"
      record qido_p50 "$c" "$run" "$(awk '/^p50_us/ {printf "%.2f", $2 / 1000}' <<<"$out")"
      record qido_p99 "$c" "$run" "$(awk '/^p99_us/ {printf "%.2f", $2 / 1000}' <<<"$out")"
    done
  done
}

# ------------------------------------------------------------------- WADO
# The whole reference series (100 instances, ~52 MB) as multipart: cold
# right after an Orthanc restart, then warm (the median of WARM_READS more
# requests: one read takes ~0.15 s and swings ±30 %, so a few more are cheap).
WARM_READS=${BENCH_WARM_READS:-9}
get_series() {  # TARGET -> RESULT MB/s
  local code size secs
  read -r code size secs < <(curl -sS -o /dev/null -w '%{http_code} %{size_download} %{time_total}\n' \
    -u "${AUTH[$1]}" -H 'Accept: multipart/related; type="application/dicom"' \
    "${URL[$1]}/dicom-web/studies/$REF_STUDY/series/$REF_SERIES")
  [[ $code == 200 && $size -gt 50000000 ]] || rf_fail "WADO-RS series ($1): HTTP $code, $size bytes"
  RESULT=$(awk -v s="$size" -v t="$secs" 'BEGIN { printf "%.1f", s / t / 1e6 }')
  SIZE=$size
}
scenario_wado() {
  local run c i warm
  for ((run = 1; run <= READ_RUNS; run++)); do
    for c in $CFGS; do
      orthanc_restart "$c"
      cpu_begin "$c"
      get_series "$c" && record wado_cold "$c" "$run" "$RESULT"
      cpu_end "$c" wado_cold "$run" "$(awk -v b="$SIZE" 'BEGIN { print b / 1e6 }')"
      warm=()
      cpu_begin "$c"
      for ((i = 0; i < WARM_READS; i++)); do get_series "$c" && warm+=("$RESULT"); done
      cpu_end "$c" wado_warm "$run" "$(awk -v b="$SIZE" -v n="$WARM_READS" 'BEGIN { print n * b / 1e6 }')"
      record wado_warm "$c" "$run" "$(printf '%s\n' "${warm[@]}" | sort -n | sed -n "$(((WARM_READS + 1) / 2))p")"
    done
  done
}

# 100 frames one by one (what a viewer does), one curl, one kept-alive
# connection; MB/s = bytes / the sum of the transfer times.
scenario_frames() {
  local run c sop v
  for c in $CFGS; do
    for sop in "${REF_SOPS[@]}"; do
      printf 'url = "%s/dicom-web/studies/%s/series/%s/instances/%s/frames/1"\noutput = "/dev/null"\n' \
        "${URL[$c]}" "$REF_STUDY" "$REF_SERIES" "$sop"
    done >"$T/frames-$c.curl"
  done
  for ((run = 1; run <= READ_RUNS; run++)); do
    for c in $CFGS; do
      cpu_begin "$c"
      curl -sS -K "$T/frames-$c.curl" -u "${AUTH[$c]}" \
        -H 'Accept: multipart/related; type="application/octet-stream"; transfer-syntax=*' \
        -w '%{http_code} %{size_download} %{time_total}\n' >"$T/log/frames-$c.txt" || rf_fail "frames ($c): curl failed"
      v=$(awk '$1 != 200 {bad++} {n++; s += $2; t += $3}
        END { if (bad || n != 100) exit 1; printf "%.1f", s / t / 1e6 }' "$T/log/frames-$c.txt") \
        || rf_fail "frames ($c): not 100 answers of HTTP 200" "$T/log/frames-$c.txt"
      record frames "$c" "$run" "$v"
      cpu_end "$c" frames "$run" "$(awk '{ s += $2 } END { print s / 1e6 }' "$T/log/frames-$c.txt")"
    done
  done
}

# ------------------------------------------------------------------- OHIF
# Headless Chromium, fresh profile each run: navigation to the viewer URL ->
# first non-blank viewport frame (tests/browser/ohif_screenshot.mjs --timing),
# over loopback and over an emulated link (OHIF_LINK: Mbit/s each way, RTT ms;
# where compression and caching show). (a) has no viewer. A run that never
# shows the image is recorded as NA.
OHIF_LINK=${OHIF_LINK:-50,20}
scenario_ohif() {
  local run c out net key netargs
  bash "$SRC/tests/browser/install.sh" >"$T/log/npm.log" 2>&1 || rf_fail "npm ci in tests/browser" "$T/log/npm.log"
  for c in b c; do
    install -m 0600 /dev/null "$T/pw-$c" && printf '%s' "${AUTH[$c]#*:}" >"$T/pw-$c"
  done
  meta ohif_link "$OHIF_LINK"
  for ((run = 1; run <= RUNS; run++)); do
    for net in loopback "$OHIF_LINK"; do
      key=ohif netargs=()
      [[ $net == loopback ]] || key=ohif_link netargs=(--network "$net")
      for c in b c; do
        if out=$(node "$SRC/tests/browser/ohif_screenshot.mjs" --timing --base "${URL[$c]}" \
          --study "$REF_STUDY" --user admin --password-file "$T/pw-$c" --timeout "${OHIF_TIMEOUT:-90}" \
          "${netargs[@]}" \
          2>"$T/log/ohif-$c-$run.err"); then
          record "$key" "$c" "$run" "$(jq -r .firstImageMs <<<"$out")"
          if [[ $key == ohif ]]; then record ohif_mb "$c" "$run" "$(jq -r '.bytes / 1e6' <<<"$out")"; fi
        else
          record "$key" "$c" "$run" NA
          meta "ohif_error_$c" "$(head -c 300 "$T/log/ohif-$c-$run.err" | tr '\n\t' '  ')"
        fi
      done
    done
  done
}
