# The three configurations side by side, and the data (sourced by bench.sh).
# Uses tests/integration/lib.sh for every service it starts.
# shellcheck shell=bash disable=SC2034  # (variables for scenarios.sh)

# Per configuration: Orthanc's config folder, HTTP and DICOM ports, AE title,
# the process; per client target (a, b = seed's nginx, bd = seed's Orthanc
# directly, c = appliance's nginx, cd = appliance's Orthanc directly): base
# URL and user:password.
declare -A CONF HTTP DICOM AET OPID WEB DOOR HTTPS STATUS URL AUTH
SMALL=100                        # small studies, so the index is not empty
DATA=$T/data

meta() { printf '%s\t%s\n' "$1" "$2" >>"$T/meta.tsv"; }

# The shipped radflare.toml with only ports, paths and names changed.
bench_toml() {  # CFG STORAGE_DIR
  rf_toml_set "$SRC/rootfs/etc/radflare.toml" "orthanc dicom_port ${DICOM[$1]}
orthanc http_port ${HTTP[$1]}
orthanc storage_dir \"$2\"
database port $PG_PORT
database name \"bench_$1\"
database user \"bench_$1\"
web http_port ${WEB[$1]}
web https_port ${HTTPS[$1]}
web orthanc_port ${DOOR[$1]}
status port ${STATUS[$1]}"
}

orthanc_start() {  # CFG
  rf_orthanc_start "${CONF[$1]}" "$T/log/orthanc-$1"
  OPID[$1]=$RF_ORTHANC_PID
}
# Healthy = an authenticated call that touches the database answers 200.
orthanc_wait() {  # CFG
  local t=${1/b/bd}; t=${t/c/cd}
  for _ in $(seq 240); do
    kill -0 "${OPID[$1]}" 2>/dev/null || break
    [[ $(curl -s -o /dev/null -w '%{http_code}' -u "${AUTH[$t]}" "${URL[$t]}/changes?last") == 200 ]] && return 0
    sleep 0.25
  done
  rf_fail "Orthanc ($1) did not become healthy" "$(rf_orthanc_log "$T/log/orthanc-$1")"
}
# CPU time in ms that processes have used so far, all their threads (utime +
# stime from /proc). Wall time on these shared cores swings ±30 % per round;
# the CPU a request costs each process swings far less, so it shows what the
# proxy costs even when the throughput ratio drowns in noise.
CLK_TCK=$(getconf CLK_TCK)
cpu_ms() {  # PID...
  local p s=0
  for p in "$@"; do s=$((s + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done
  echo $((s * 1000 / CLK_TCK))
}
# Jiffies of the whole machine so far: busy (user, nice, system, irq, softirq,
# steal) and all. Their ratio over a run says whether the cores were full.
machine_jiffies() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat; }
NCPU=$(nproc)
orthanc_proc() { pgrep -P "${OPID[$1]}" || echo "${OPID[$1]}"; }  # OPID is runuser's
nginx_workers() { pgrep -P "$(cat "$T/nginx.pid")"; }            # (c)'s nginx
# Around a timed command: cpu_begin TARGET; ...; cpu_end TARGET SCENARIO RUN MB
# records the ms per MB moved of its Orthanc and of nginx, and how many of the
# machine's cores were busy meanwhile (all processes). Only a and c: the
# seed's Orthanc and nginx (b, bd) are not split out, so there both do nothing.
cpu_begin() {  # TARGET
  [[ $1 == [ac] ]] || return 0
  # shellcheck disable=SC2046  # one PID per word
  CPU_START="$(cpu_ms $(orthanc_proc "$1")) $(cpu_ms $(nginx_workers)) $(machine_jiffies)"
}
cpu_end() {  # TARGET SCENARIO RUN MB
  [[ $1 == [ac] ]] || return 0
  local o0 n0 b0 a0 o1 n1 b1 a1
  read -r o0 n0 b0 a0 <<<"$CPU_START"
  # shellcheck disable=SC2046
  o1=$(cpu_ms $(orthanc_proc "$1")) n1=$(cpu_ms $(nginx_workers))
  read -r b1 a1 < <(machine_jiffies)
  record "cpu_busy_$2" "$1" "$3" "$(awk -v b=$((b1 - b0)) -v a=$((a1 - a0)) -v n="$NCPU" 'BEGIN { printf "%.2f", a ? n * b / a : 0 }')"
  record "cpu_orthanc_$2" "$1" "$3" "$(awk -v d=$((o1 - o0)) -v mb="$4" 'BEGIN { printf "%.3f", d / mb }')"
  record "cpu_nginx_$2" "$1" "$3" "$(awk -v d=$((n1 - n0)) -v mb="$4" 'BEGIN { printf "%.3f", d / mb }')"
}

orthanc_restart() {  # CFG
  RF_ORTHANC_PID=${OPID[$1]} rf_orthanc_stop
  orthanc_start "$1"
  orthanc_wait "$1"
}

# Data, generated in the background while the services start: the reference
# CT (read scenarios), four more CTs (ingest scenarios, deleted after each
# run), SMALL one-instance studies (a realistic index for QIDO).
start_data() {
  mkdir -p "$DATA"
  (
    gen() { $PY "$SRC/tests/data/gen_study.py" "$DATA/s$1" --slices 100 --size 512 --seed "$((10 + $1))" \
      --patient-id "RFBENCH$1" --patient-name "RADFLARE^BENCH$1" --description "Radflare bench CT $1" >"$DATA/s$1.uid"; }
    gen 1 & gen 2 & wait; gen 3 & gen 4 & wait; gen 5
    $PY "$SRC/tests/data/gen_study.py" "$DATA/tpl" --slices 1 --size 64 --seed 99 >/dev/null
    $PY "$BENCH/data.py" small "$DATA/tpl/CT0001.dcm" "$DATA/small" "$SMALL"
    for i in 1 2 3 4 5; do $PY "$SRC/tests/data/stow_body.py" "$DATA/s$i" "$DATA/s$i.body" >"$DATA/s$i.ctype"; done
    $PY "$SRC/tests/data/stow_body.py" "$DATA/small" "$DATA/small.body" >"$DATA/small.ctype"
    $PY "$BENCH/data.py" uids "$DATA/s1" >"$DATA/s1.uids"
  ) >"$T/log/data.log" 2>&1 &
  DATA_PID=$!
  RF_PIDS+=("$DATA_PID")   # stopped with the rest if the benchmark fails early
}
wait_data() { wait "$DATA_PID" || rf_fail "generating the data" "$T/log/data.log"; }

start_stack() {
  PG_PORT=$(rf_free_port)
  local c
  for c in a b c; do
    HTTP[$c]=$(rf_free_port) DICOM[$c]=$(rf_free_port) WEB[$c]=$(rf_free_port) DOOR[$c]=$(rf_free_port)
    HTTPS[$c]=$(rf_free_port) STATUS[$c]=$(rf_free_port)
  done
  start_data

  # (a) and (c): the appliance's rendering, each its own database and storage.
  for c in a c; do
    mkdir -p "$T/storage-$c" && chown orthanc: "$T/storage-$c"
    bench_toml "$c" "$T/storage-$c" >"$T/radflare-$c.toml"
    rf_render "$T/radflare-$c.toml" "$T/root-$c"
    CONF[$c]=$T/root-$c/etc/radflare/orthanc
    AET[$c]=$(jq -r .DicomAet "${CONF[$c]}/orthanc.json")
  done
  rf_layout_ohif "$T/radflare-c.toml" "$T/root-c" "$SRC"
  # A hand-tuning experiment: edit the rendered files of (a) and (c).
  if [[ -n ${BENCH_TUNE:-} ]]; then
    for c in a c; do
      bash "$BENCH_TUNE" "$T/root-$c" >>"$T/log/tune.log" 2>&1 || rf_fail "BENCH_TUNE=$BENCH_TUNE" "$T/log/tune.log"
    done
    meta tune "$BENCH_TUNE: $(sed -n 's/^## \?//p' "$BENCH_TUNE" | tr '\n' ' ')"
  fi
  rf_overlay_root "$T/root-c"   # nginx's site and user map, OHIF, at their real paths
  URL[a]=http://127.0.0.1:${HTTP[a]}
  AUTH[a]=radflare-proxy:$(jq -r '.RegisteredUsers["radflare-proxy"]' "${CONF[a]}/credentials.json")
  URL[c]=http://127.0.0.1:${WEB[c]}
  AUTH[c]=admin:$(cat /var/lib/radflare/secrets/admin-password)
  URL[cd]=http://127.0.0.1:${HTTP[c]}
  AUTH[cd]=radflare-proxy:$(jq -r '.RegisteredUsers["radflare-proxy"]' "${CONF[c]}/credentials.json")

  # (b) the seed: its orthanc.json verbatim; its PostgreSQL settings (section
  # 2.4 + the compose environment: index and storage in PostgreSQL over SSL,
  # user and database names of its .env); its admin user (2.5). bench.json
  # holds only what the seed left to Docker: ports, folders, plugins.
  local seed=$T/seed seed_pw seed_db_pw
  seed_pw=$(openssl rand -hex 16) seed_db_pw=$(openssl rand -hex 16)
  mkdir -p "$seed/orthanc" "$seed/storage" && chown orthanc: "$seed/storage"
  cp "$SRC/tests/seed/orthanc.json" "$seed/orthanc/orthanc.json"
  jq -n --argjson port "$PG_PORT" --arg pw "$seed_db_pw" '{PostgreSQL: {EnableIndex: true, EnableStorage: true,
    Host: "localhost", Port: $port, Database: "radflare_orthanc_web", Username: "orthanc", Password: $pw,
    EnableSsl: true}}' >"$seed/orthanc/postgresql.json"
  jq -n --arg pw "$seed_pw" '{RegisteredUsers: {admin: $pw}}' >"$seed/orthanc/registered-users.json"
  jq -n --argjson http "${HTTP[b]}" --argjson dicom "${DICOM[b]}" --arg dir "$seed/storage" '{
    HttpPort: $http, DicomPort: $dicom, StorageDirectory: $dir, IndexDirectory: $dir,
    Plugins: ["/usr/share/orthanc/plugins/libOrthancDicomWeb.so",
              "/usr/share/orthanc/plugins/libOrthancPostgreSQLIndex.so",
              "/usr/share/orthanc/plugins/libOrthancPostgreSQLStorage.so"]}' >"$seed/orthanc/bench.json"
  chgrp orthanc "$seed"/orthanc/*.json && chmod 0640 "$seed"/orthanc/*.json
  CONF[b]=$seed/orthanc AET[b]=ORTHANC
  URL[b]=http://127.0.0.1:${WEB[b]} AUTH[b]=admin:$seed_pw
  URL[bd]=http://127.0.0.1:${HTTP[b]} AUTH[bd]=admin:$seed_pw

  # One cluster with the appliance's rendered settings (the seed ran on RDS,
  # whose defaults are similarly sized), SSL on for the seed's EnableSsl.
  rf_pg_start "$T/pg" "$PG_PORT" /etc/postgresql/15/main/conf.d
  openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 2 \
    -keyout "$T/pg/server.key" -out "$T/pg/server.crt" >"$T/log/openssl.log" 2>&1
  chown postgres: "$T/pg/server.key" "$T/pg/server.crt" && chmod 0600 "$T/pg/server.key"
  { rf_psql "$PG_PORT" postgres -c 'ALTER SYSTEM SET ssl = on' -c 'SELECT pg_reload_conf()'
    rf_psql "$PG_PORT" postgres -c "CREATE ROLE orthanc LOGIN PASSWORD '$seed_db_pw'" \
      -c 'CREATE DATABASE radflare_orthanc_web OWNER orthanc'
    for c in a c; do rf_psql "$PG_PORT" postgres -f - <"$T/root-$c/etc/radflare/postgresql-bootstrap.sql"; done
  } >"$T/log/bootstrap.log" 2>&1 || rf_fail "PostgreSQL set-up" "$T/log/bootstrap.log"

  for c in a b c; do orthanc_start "$c"; done
  for c in a b c; do orthanc_wait "$c"; done

  # nginx: the appliance's rendered site (c), the seed's site (b) with the
  # same OHIF build as npm ships it (the seed builds it with PUBLIC_URL=/ohif/;
  # the appliance serves it with its scripts minified, fetch-ohif.sh) and the
  # seed's app-config (OHIF's default.js with its data source roots at
  # /dicom-web and routerBasename '/ohif/', seed §5).
  local dist
  dist=$(bash "$SRC/image/scripts/fetch-ohif.sh" --pristine 2>/dev/null | tail -n1)   # cached by rf_layout_ohif
  "$RADFLARE" layout-ohif --config "$T/radflare-c.toml" --from "$dist" --to "$T/seed-ohif" \
    >"$T/log/layout-ohif-seed.log" 2>&1 || rf_fail "radflare layout-ohif (seed)" "$T/log/layout-ohif-seed.log"
  sed -e "s#routerBasename: null#routerBasename: '/ohif/'#" \
      -e "s#'https://d14fa38qiwhyfd.cloudfront.net/dicomweb'#'/dicom-web'#" \
      "$dist/app-config.js" >"$T/seed-ohif/app-config.js"
  grep -q "qidoRoot: '/dicom-web'" "$T/seed-ohif/app-config.js" \
    || rf_fail "OHIF's default app-config.js changed: the seed's edit no longer applies"
  rf_nginx_conf
  rf_nginx_start "$T/nginx.conf"
  rf_seed_site "$SRC" "${WEB[b]}" "${HTTP[b]}" "$T/seed-ohif" >"$T/seed-site.conf"
  rf_nginx_conf_site seed "$T/seed-site.conf"
  rf_nginx_start "$T/seed-nginx.conf"
  for c in b c; do
    rf_wait_url "${URL[$c]}/dicom-web/studies" 40 || rf_fail "nginx ($c) did not answer" "$T/log/nginx-error.log"
  done

  meta date "$(date -u '+%Y-%m-%d %H:%M UTC')"
  meta machine "$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2 / 1048576}' /proc/meminfo), $(. /etc/os-release && echo "$PRETTY_NAME")"
  meta versions "Orthanc $(/usr/sbin/Orthanc --version | awk 'NR==1 {print $2}'), PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}'), nginx $(nginx -v 2>&1 | sed 's#.*/##'), $(chromium --version 2>/dev/null | head -n1)"
  meta ncpu "$NCPU"
  meta runs "$RUNS"
}

# The reference data in every configuration (directly, not timed): the CT the
# read scenarios use and the small studies.
load_reference_data() {
  local t
  for t in a bd cd; do
    stow_file "$t" s1 >/dev/null
    stow_file "$t" small >/dev/null
  done
  read -r REF_STUDY REF_SERIES <"$DATA/s1.uids"
  mapfile -t REF_SOPS < <(tail -n +2 "$DATA/s1.uids")
  for t in a bd cd; do
    [[ $(count_instances "$t" "$REF_STUDY") == 100 ]] || rf_fail "reference CT not stored in $t"
  done
}

# POST one prepared STOW body (DATA/NAME.body); prints "HTTP_CODE SECONDS".
# No Expect: 100-continue (Orthanc does not answer it; curl would wait 1 s).
stow_file() {  # TARGET NAME
  curl -sS -o "$T/log/stow-$1-$2.json" -w '%{http_code} %{time_total}\n' -u "${AUTH[$1]}" -H 'Expect:' \
    -H "Content-Type: $(cat "$DATA/$2.ctype")" -H 'Accept: application/dicom+json' \
    --data-binary @"$DATA/$2.body" "${URL[$1]}/dicom-web/studies"
}

# Orthanc's REST API, straight to the Orthanc of a configuration.
admin_target() { case $1 in a) echo a ;; b | bd) echo bd ;; c | cd) echo cd ;; esac; }
orthanc_id() {  # TARGET STUDY_UID
  local t; t=$(admin_target "$1")
  curl -sS -u "${AUTH[$t]}" --data-binary "$2" "${URL[$t]}/tools/lookup" | jq -r '.[0].ID // empty'
}
count_instances() {  # TARGET STUDY_UID
  local t id; t=$(admin_target "$1"); id=$(orthanc_id "$t" "$2")
  [[ -n $id ]] || { echo 0; return; }
  curl -sS -u "${AUTH[$t]}" "${URL[$t]}/studies/$id/statistics" | jq -r .CountInstances
}
delete_study() {  # TARGET STUDY_UID
  local t id; t=$(admin_target "$1"); id=$(orthanc_id "$t" "$2")
  [[ -z $id ]] || curl -sS -o /dev/null -X DELETE -u "${AUTH[$t]}" "${URL[$t]}/studies/$id"
}
