#!/usr/bin/env bash
# `make demo`: the appliance's stack (PostgreSQL, Orthanc, nginx, OHIF) on this
# machine's loopback, configured by `radflare render` from the shipped
# rootfs/etc/radflare.toml with only ports and storage changed. Same technique
# as host_stack.sh (rendered tree overlaid on /etc and /var/lib in a private
# mount namespace), but the data, the database and the generated secrets live
# in a state folder that the next run reuses.
#
#   bash tests/integration/demo.sh RADFLARE_BINARY SOURCE_DIR
#
# DEMO_HTTP_PORT (8080)  web port: OHIF and DICOMweb
# DEMO_STATE (/var/tmp/radflare-demo)  storage, database, secrets; rm -rf to start over
# DEMO_EXIT_AFTER_READY=1  stop right after printing the URLs (smoke test)
set -euo pipefail

RADFLARE=$(realpath "$1")
SRC=$(realpath "$2")
[[ $(id -u) == 0 ]] || { echo "demo: error: run as root (sudo make demo)" >&2; exit 1; }
# shellcheck source=tests/integration/lib.sh
source "$SRC/tests/integration/lib.sh"
rf_enter_namespace "$0" "$RADFLARE" "$SRC"

HTTP_PORT=${DEMO_HTTP_PORT:-8080} DOOR_PORT=8042 DICOM_PORT=4242 ORTHANC_PORT=8044 STATUS_PORT=8090
STATE=${DEMO_STATE:-/var/tmp/radflare-demo}
AET=RADFLARE
PY=/usr/bin/python3   # Debian's, with pydicom and numpy
START=$SECONDS
say() { echo "demo: $*"; }
die() { echo "demo: error: $*" >&2; exit 1; }

# Under /etc or /var/lib the state would land in the throwaway overlay.
case $STATE in /etc | /etc/* | /var/lib | /var/lib/*) die "DEMO_STATE=$STATE: pick a folder outside /etc and /var/lib" ;; esac

# The fixed ports are the appliance's own; taking others silently would print
# wrong URLs, so a busy one stops the demo. (Nothing listens on the status
# port until the status page issue lands, so it is not checked.)
need_port() {  # PORT WHAT [HINT]
  local busy who
  busy=$(ss -Htlnp "sport = :$1")
  [[ -z $busy ]] && return 0
  who=$(grep -o '"[^"]*",pid=[0-9]*' <<<"$busy" | head -n1 | sed 's/"\(.*\)",pid=\(.*\)/\1 (pid \2)/') || true
  die "port $1 ($2) is already in use by ${who:-another program}: stop it${3:+, or $3}"
}
need_port "$HTTP_PORT" "web: OHIF and DICOMweb" "set DEMO_HTTP_PORT to another port"
need_port "$DOOR_PORT" "seed-compatible Orthanc door"
need_port "$DICOM_PORT" "DICOM"
need_port "$ORTHANC_PORT" "Orthanc's internal HTTP"

rf_init
RF_PG_STOP_MODE=fast   # the cluster is kept: shut it down cleanly
T=$RF_TMP
PG_PORT=$(rf_free_port)
mkdir -p "$STATE/storage" && chmod 0755 "$STATE" && chown orthanc: "$STATE/storage"

# ------------------------------------------------------------- render
# The shipped file with the [section] keys below set (replaced if present,
# added under the section header otherwise); everything else as shipped.
demo_toml() { rf_toml_set "$SRC/rootfs/etc/radflare.toml" "$1"; }
demo_toml "orthanc dicom_port $DICOM_PORT
orthanc http_port $ORTHANC_PORT
orthanc storage_dir \"$STATE/storage\"
database port $PG_PORT
web http_port $HTTP_PORT
web orthanc_port $DOOR_PORT
status port $STATUS_PORT" >"$T/radflare.toml"
# Rendering into the same root every time keeps the secrets generated the first time.
rf_render "$T/radflare.toml" "$STATE/root"
rf_layout_ohif "$T/radflare.toml" "$STATE/root" "$SRC"
rf_overlay_root "$STATE/root"
ADMIN_PW=$(cat /var/lib/radflare/secrets/admin-password)
say "rendered $SRC/rootfs/etc/radflare.toml into $STATE/root (logs: $T/log)"

# ------------------------------------------------------------ services
rf_pg_start "$STATE/pg" "$PG_PORT" /etc/postgresql/15/main/conf.d
# Root reads the bootstrap (it holds the DB password); psql runs as postgres.
rf_psql "$PG_PORT" postgres -f - </etc/radflare/postgresql-bootstrap.sql >"$T/log/bootstrap.log" 2>&1 \
  || rf_fail "bootstrap SQL" "$T/log/bootstrap.log"
rf_orthanc_start /etc/radflare/orthanc "$T/log/orthanc"
RF_WAIT_PID=$RF_ORTHANC_PID rf_wait_url "http://127.0.0.1:$ORTHANC_PORT/system" 120 \
  || rf_fail "Orthanc did not start" "$(rf_orthanc_log "$T/log/orthanc")"
rf_nginx_conf
rf_nginx_start "$T/nginx.conf"
web() { curl -sS --fail-with-body -u "admin:$ADMIN_PW" "$@"; }
# Healthy = Orthanc answers an authenticated REST call through nginx.
healthy() { [[ $(curl -s -o /dev/null -w '%{http_code}' -u "admin:$ADMIN_PW" "http://127.0.0.1:$DOOR_PORT/changes?last") == 200 ]]; }
for _ in $(seq 60); do healthy && break; sleep 0.5; done
healthy || rf_fail "no HTTP 200 from Orthanc through nginx (:$DOOR_PORT/changes?last)" "$T/log/nginx-error.log"
say "PostgreSQL :$PG_PORT, Orthanc, nginx up and healthy ($((SECONDS - START)) s)"

# -------------------------------------------------------- sample study
DICOMWEB=http://127.0.0.1:$HTTP_PORT/dicom-web/studies
STUDY_UID=$(web "$DICOMWEB?PatientID=RFDEMO0001" | jq -r '.[0]["0020000D"].Value[0] // empty') \
  || rf_fail "QIDO through nginx" "$T/log/nginx-error.log"
if [[ -n $STUDY_UID ]]; then
  say "sample study already stored (kept from an earlier run)"
else
  STUDY_UID=$($PY "$SRC/tests/data/gen_study.py" "$T/sample" --slices 40 --size 512 --seed 42 \
    --patient-id RFDEMO0001 --patient-name "RADFLARE^DEMO" --description "Radflare demo CT")
  ctype=$($PY "$SRC/tests/data/stow_body.py" "$T/sample" "$T/stow.body")
  web -o "$T/stow.json" -H "Content-Type: $ctype" -H 'Accept: application/dicom+json' \
    --data-binary @"$T/stow.body" "$DICOMWEB" || rf_fail "STOW-RS of the sample study" "$T/log/nginx-error.log"
  rm -rf "$T/sample" "$T/stow.body"
  say "stored a generated 40-slice CT with STOW-RS"
fi

# ---------------------------------------------------------------- URLs
cat <<EOF

Radflare demo is ready in $((SECONDS - START)) s (state: $STATE)
  OHIF viewer      http://127.0.0.1:$HTTP_PORT/ohif/
  sample study     http://127.0.0.1:$HTTP_PORT/ohif/viewer?StudyInstanceUIDs=$STUDY_UID
  DICOMweb         $DICOMWEB
  seed-compatible  http://127.0.0.1:$DOOR_PORT/dicom-web/studies
                   http://127.0.0.1:$DOOR_PORT/app/explorer.html
  DICOM            $AET@127.0.0.1:$DICOM_PORT, e.g.  storescu -aec $AET 127.0.0.1 $DICOM_PORT FILE.dcm
  login            user admin, password: sudo cat $STATE/root/var/lib/radflare/secrets/admin-password
  status page      not yet: it comes with the status page issue (port $STATUS_PORT)
EOF
[[ ${DEMO_EXIT_AFTER_READY:-} == 1 ]] && exit 0
echo "Ctrl-C stops everything (the data stays in $STATE)."
# Until Ctrl-C/SIGTERM (the trap stops the services) or a service dies.
wait -n "${RF_PIDS[@]}" || true
rf_fail "nginx or Orthanc exited unexpectedly (logs: $T/log)" "$(rf_orthanc_log "$T/log/orthanc")"
