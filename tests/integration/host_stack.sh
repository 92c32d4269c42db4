#!/usr/bin/env bash
# Host integration test: the real Orthanc, PostgreSQL and nginx of Debian run
# on the files `radflare render` writes, without systemd and without touching
# the host: the rendered tree is overlaid on /etc and /var/lib inside a private
# mount namespace, every service listens on free loopback ports, all state
# lives in one temporary folder that the trap removes.
#
#   bash tests/integration/host_stack.sh RADFLARE_BINARY SOURCE_DIR
#
# Needs root, orthanc (+dicomweb, postgresql, python, gdcm), postgresql-15,
# nginx, dcmtk, libgdcm-tools, python3-pydicom, jq, chromium, node/npm (OHIF from npm).
# Screenshots: ${ARTIFACTS_DIR:-SOURCE_DIR/build/artifacts}/ohif-viewer.png, codec-*.png.
set -euo pipefail

RADFLARE=$(realpath "$1")
SRC=$(realpath "$2")

# shellcheck source=tests/integration/lib.sh
source "$SRC/tests/integration/lib.sh"
rf_enter_namespace "$0" "$RADFLARE" "$SRC"
rf_init
ARTIFACTS=${ARTIFACTS_DIR:-$SRC/build/artifacts}
PY=/usr/bin/python3   # Debian's, with pydicom and numpy
T=$RF_TMP
START=$SECONDS
stage_start=$SECONDS
# One line per step, with the seconds it took.
ok() { rf_ok "$* ($((SECONDS - stage_start)) s)"; stage_start=$SECONDS; }

PG_PORT=$(rf_free_port) DICOM_PORT=$(rf_free_port) ORTHANC_PORT=$(rf_free_port)
WEB_PORT=$(rf_free_port) HTTPS_PORT=$(rf_free_port) DOOR_PORT=$(rf_free_port)
STATUS_PORT=$(rf_free_port)
AET=RADFLARE

# The test configuration: FILES is "disk" or "postgresql"; each variant gets
# its own database and storage folder.
write_toml() {
  local files=$1 db=$2 storage=$3
  mkdir -p "$storage" && chown orthanc: "$storage"
  cat <<EOF
[site]
name = "radflare-it"

[orthanc]
aet = "$AET"
dicom_port = $DICOM_PORT
http_port = $ORTHANC_PORT
stable_age = 5
storage_dir = "$storage"
plugins = ["dicomweb", "postgresql", "python", "gdcm"]

[database]
mode = "local"
files = "$files"
port = $PG_PORT
name = "$db"
user = "orthanc"

[admin]
user = "admin"

[web]
ohif_path = "/ohif/"
http_port = $WEB_PORT
https_port = $HTTPS_PORT
orthanc_port = $DOOR_PORT
max_upload = "4G"

[tls]
mode = "off"

[status]
listen = "127.0.0.1"
port = $STATUS_PORT
EOF
}

# curl helpers: through nginx as the admin, and straight to Orthanc's loopback
# port as nginx's own user (to look behind the edge).
web() { curl -sS --fail-with-body -u "admin:$ADMIN_PW" "$@"; }
door() { web "http://127.0.0.1:$DOOR_PORT$1" "${@:2}"; }
http_code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

# ---------------------------------------------------------------- render
write_toml disk radflare "$T/storage" >"$T/radflare.toml"
rf_render "$T/radflare.toml" "$T/root"
for s in admin-password db-password proxy-password; do
  [[ -s $T/root/var/lib/radflare/secrets/$s ]] || rf_fail "render did not create secret $s"
done
rf_layout_ohif "$T/radflare.toml" "$T/root" "$SRC"
rf_overlay_root "$T/root"
ADMIN_PW=$(cat /var/lib/radflare/secrets/admin-password)
ok "render, fetch and lay out OHIF, overlay the rendered tree"

# ------------------------------------------------------------ PostgreSQL
rf_pg_start "$T/pg" "$PG_PORT" "/etc/postgresql/15/main/conf.d"
# The bootstrap is idempotent: run it twice. Root reads it (it holds the DB
# password) and feeds it to psql running as postgres.
for _ in 1 2; do
  rf_psql "$PG_PORT" postgres -f - </etc/radflare/postgresql-bootstrap.sql \
    >>"$T/log/bootstrap.log" 2>&1 || rf_fail "bootstrap SQL" "$T/log/bootstrap.log"
done
ok "PostgreSQL 15 with the rendered conf.d; bootstrap SQL ran twice"

# ---------------------------------------------------------------- Orthanc
start_orthanc() {  # LOGDIR
  rf_orthanc_start /etc/radflare/orthanc "$1"
  # Any HTTP answer means the REST server is up (401 without credentials).
  RF_WAIT_PID=$RF_ORTHANC_PID rf_wait_url "http://127.0.0.1:$ORTHANC_PORT/system" 120 \
    || rf_fail "Orthanc did not start (exited, or no answer within 60 s)" "$(rf_orthanc_log "$1")"
}
start_orthanc "$T/log/orthanc"
ORTHANC_LOG=$(rf_orthanc_log "$T/log/orthanc")
ok "Orthanc $(/usr/sbin/Orthanc --version | head -n1 | awk '{print $2}') on /etc/radflare/orthanc"

# ------------------------------------------------------------------ nginx
rf_nginx_conf
rf_nginx_start "$T/nginx.conf"
rf_wait_url "http://127.0.0.1:$WEB_PORT/" 40 || rf_fail "nginx did not answer" "$T/log/nginx-error.log"
rf_wait_url "http://127.0.0.1:$DOOR_PORT/" 40 || rf_fail "nginx door did not answer" "$T/log/nginx-error.log"
ok "nginx with /etc/nginx/conf.d/radflare.conf"

# ---------------------------------------------------------------- C-STORE
SMALL_UID=$($PY "$SRC/tests/data/gen_study.py" "$T/small" --slices 3 --size 128 --seed 2 \
  --patient-id RF0002 --patient-name "RADFLARE^CSTORE" --description "Radflare C-STORE")
storescu -aec "$AET" 127.0.0.1 "$DICOM_PORT" "$T"/small/*.dcm >"$T/log/storescu.log" 2>&1 \
  || rf_fail "storescu to $AET@$DICOM_PORT" "$ORTHANC_LOG"
id=$(door /tools/lookup -d "$SMALL_UID" | jq -r '.[0].ID') || rf_fail "lookup $SMALL_UID" "$ORTHANC_LOG"
n=$(door "/studies/$id/instances" | jq length)
[[ $n == 3 ]] || rf_fail "C-STORE: Orthanc has $n instances of the small study, want 3" "$ORTHANC_LOG"
ok "C-STORE small study (3 instances), seen through nginx's Orthanc door"

# ---------------------------------------------------------------- STOW-RS
# STOW-RS of the files in DIR through nginx (the body goes to DIR.body); then
# STUDY_UID must hold WANT instances. Extra curl arguments come last. Leaves
# the body's Content-Type, size and upload time in STOW_CTYPE, STOW_SIZE, STOW_SECS.
stow_through_nginx() {  # DIR STUDY_UID WANT [CURL_ARG...]
  local dir=$1 uid=$2 want=$3 code n; shift 3
  STOW_CTYPE=$($PY "$SRC/tests/data/stow_body.py" "$dir" "$dir.body")
  STOW_SIZE=$(stat -c %s "$dir.body")
  read -r code STOW_SECS < <(curl -sS -o "$dir.json" -w '%{http_code} %{time_total}\n' -u "admin:$ADMIN_PW" \
    -H "Content-Type: $STOW_CTYPE" -H 'Accept: application/dicom+json' "$@" \
    --data-binary @"$dir.body" "http://127.0.0.1:$WEB_PORT/dicom-web/studies")
  [[ $code == 200 ]] || { head -c 2000 "$dir.json"; echo; rf_fail "STOW-RS of $dir answered HTTP $code" "$T/log/nginx-error.log"; }
  n=$(web "http://127.0.0.1:$WEB_PORT/dicom-web/studies/$uid/instances" | jq length)
  [[ $n == "$want" ]] || rf_fail "STOW-RS of $dir: $n instances of the study in Orthanc, want $want" "$ORTHANC_LOG"
}
CT_UID=$($PY "$SRC/tests/data/gen_study.py" "$T/ct" --slices 100 --size 512 --seed 1 \
  --patient-id RF0001 --description "Radflare synthetic CT")
stow_through_nginx "$T/ct" "$CT_UID" 100
size=$STOW_SIZE ctype=$STOW_CTYPE
((size > 50000000)) || rf_fail "STOW body is only $size bytes"
ok "STOW-RS 100 × 512×512 CT ($((size / 1000000)) MB) through nginx: HTTP 200 in $STOW_SECS s, 100 instances"

# The seed's own nginx site (tests/seed/, verbatim but for its ports) in front
# of the same Orthanc refuses the same upload: nginx's default 1 MB body limit.
SEED_PORT=$(rf_free_port)
sed -e "s/listen 80 default_server;/listen 127.0.0.1:$SEED_PORT;/" \
    -e "s#127.0.0.1:8042#127.0.0.1:$ORTHANC_PORT#" "$SRC/tests/seed/nginx-ohif.conf" >"$T/seed-site.conf"
sed -e "s#include /etc/nginx/conf.d/radflare.conf;#include $T/seed-site.conf;#" \
    -e "s#pid $T/nginx.pid;#pid $T/seed-nginx.pid;#" "$T/nginx.conf" >"$T/seed-nginx.conf"
rf_nginx_start "$T/seed-nginx.conf"
rf_wait_url "http://127.0.0.1:$SEED_PORT/" 40 || rf_fail "the seed's nginx did not answer" "$T/log/nginx-error.log"
code=$(curl -sS -o /dev/null -w '%{http_code}' -u "admin:$ADMIN_PW" -H "Content-Type: $ctype" \
  --data-binary @"$T/ct.body" "http://127.0.0.1:$SEED_PORT/dicom-web/studies")
[[ $code == 413 ]] || rf_fail "the seed's nginx answered $code to the same STOW, expected 413"
ok "the seed's nginx site answers 413 to the same $((size / 1000000)) MB STOW"

# ---------------------------------------------------------- QIDO / WADO
qido=http://127.0.0.1:$WEB_PORT/dicom-web/studies
n=$(web "$qido?StudyInstanceUID=$CT_UID" | jq length)
[[ $n == 1 ]] || rf_fail "QIDO by StudyInstanceUID returned $n studies"
# OHIF's comma form: DICOMweb 1.7 ignores it unless nginx splits it.
desc=$(web "$qido?StudyInstanceUID=$CT_UID&includefield=00081030,00080060" | jq -r '.[0]["00081030"].Value[0]')
[[ $desc == "Radflare synthetic CT" ]] \
  || rf_fail "QIDO includefield=00081030,00080060 did not return the description (got '$desc')"
series=$(web "$qido/$CT_UID/series" | jq -r '.[0]["0020000E"].Value[0]')
web -o "$T/wado.multipart" -H 'Accept: multipart/related; type="application/dicom"' \
  "$qido/$CT_UID/series/$series" || rf_fail "WADO-RS series" "$T/log/nginx-error.log"
wsize=$(stat -c %s "$T/wado.multipart")
parts=$(grep -ac 'Content-Type: application/dicom' "$T/wado.multipart" || true)
((wsize > size * 95 / 100 && parts == 100)) \
  || rf_fail "WADO-RS series: $wsize bytes, $parts parts (STOW body was $size bytes, 100 parts)"
ok "QIDO (by UID; comma includefield gives the description) and WADO-RS series ($((wsize / 1000000)) MB, 100 parts)"

# ------------------------------------------------------ edge auth, seed URLs
for url in "http://127.0.0.1:$WEB_PORT/dicom-web/studies" "http://127.0.0.1:$DOOR_PORT/dicom-web/studies" \
  "http://127.0.0.1:$WEB_PORT/ohif/" "http://127.0.0.1:$DOOR_PORT/system"; do
  code=$(http_code "$url")
  [[ $code == 401 ]] || rf_fail "unauthenticated GET $url answered $code, want 401"
  code=$(http_code -u "admin:wrong" "$url")
  [[ $code == 401 ]] || rf_fail "wrong password on $url answered $code, want 401"
done
n=$(door /dicom-web/studies | jq length)
[[ $n == 2 ]] || rf_fail "seed URL :$DOOR_PORT/dicom-web/studies lists $n studies, want 2"
web "http://127.0.0.1:$WEB_PORT/ohif/" | grep -q '/ohif/' || rf_fail "seed URL /ohif/ does not serve OHIF's index"
code=$(http_code -u "admin:$ADMIN_PW" "http://127.0.0.1:$WEB_PORT/ohif")
[[ $code == 301 || $code == 302 ]] || rf_fail "/ohif answered $code, want a redirect to /ohif/"
ok "edge auth: no/wrong credentials get 401 on both doors; seed URLs /dicom-web/studies (door) and /ohif/ work"

# ------------------------------------------------------- where data lives
check_backends() {  # DB STORAGE_DIR WANT_INSTANCES FILES_MODE
  local db=$1 storage=$2 want=$3 mode=$4 sys rows
  sys=$(door /system)
  [[ $(jq -r .DatabaseBackendPlugin <<<"$sys") == *PostgreSQL* ]] \
    || rf_fail "/system: DatabaseBackendPlugin is $(jq .DatabaseBackendPlugin <<<"$sys"), want PostgreSQL"
  rows=$(rf_psql "$PG_PORT" "$db" -At -c 'SELECT count(*) FROM resources WHERE resourcetype = 3')
  [[ $rows == "$want" ]] || rf_fail "database $db indexes $rows instances, want $want"
  files=$(find "$storage" -type f | wc -l)   # global: the caller reports it
  if [[ $mode == disk ]]; then
    [[ $(jq -r .StorageAreaPlugin <<<"$sys") == null ]] \
      || rf_fail "/system: StorageAreaPlugin is $(jq .StorageAreaPlugin <<<"$sys"), want none (files on disk)"
    ((files >= want)) || rf_fail "storage_dir $storage holds $files files, want >= $want"
  else
    [[ $(jq -r .StorageAreaPlugin <<<"$sys") == *PostgreSQL* ]] \
      || rf_fail "/system: StorageAreaPlugin is $(jq .StorageAreaPlugin <<<"$sys"), want PostgreSQL"
    ((files == 0)) || rf_fail "files = postgresql, yet storage_dir $storage holds $files files"
    rows=$(rf_psql "$PG_PORT" "$db" -At -c 'SELECT count(*) FROM storagearea')
    ((rows >= want)) || rf_fail "table storagearea of $db has $rows rows, want >= $want"
  fi
}
check_backends radflare "$T/storage" 103 disk
ok "index in PostgreSQL (103 instances in database radflare), files on disk ($files in storage_dir)"

# ----------------------------------------------------- STOW-RS, chunked body
# Streaming clients (a generator as the body, HTTP/1.1 chunked) send no
# Content-Length: nginx must pass such a body on as it comes, and Orthanc read it.
CHUNKED_UID=$($PY "$SRC/tests/data/gen_study.py" "$T/chunked" --slices 2 --size 64 --seed 3 \
  --patient-id RF0003 --description "Radflare chunked STOW")
stow_through_nginx "$T/chunked" "$CHUNKED_UID" 2 -H 'Transfer-Encoding: chunked'
ok "STOW-RS with a chunked body (no Content-Length) through nginx: HTTP 200, 2 instances"

# ------------------------------------------------------------------- OHIF
bash "$SRC/tests/browser/install.sh" >"$T/log/npm.log" 2>&1 || rf_fail "npm ci in tests/browser" "$T/log/npm.log"
mkdir -p "$ARTIFACTS"
node "$SRC/tests/browser/ohif_screenshot.mjs" --base "http://127.0.0.1:$WEB_PORT" --study "$CT_UID" \
  --password-file /var/lib/radflare/secrets/admin-password --expect-text "Radflare synthetic CT" \
  --out "$ARTIFACTS/ohif-viewer.png" --timeout 120 >"$T/log/browser.log" 2>&1 \
  || { cat "$T/log/browser.log"; rf_fail "OHIF in headless Chromium" "$T/log/nginx-access.log"; }
sed 's/^ok - /    /' "$T/log/browser.log"
ok "OHIF study list and viewer render the CT -> $ARTIFACTS/ohif-viewer.png"

# ---------------------------------------------- OHIF: every transfer syntax
# The same CT in each lossless and lossy syntax archives hold, and an RGB cine
# as JPEG Baseline, sent by C-STORE offering each file's own syntax (as a
# modality does). OHIF's codecs (wasm, loaded by web workers from the moved
# public path) must draw every one; the lossless ones exactly as uncompressed.
bash "$SRC/tests/data/codec_studies.sh" "$T/codecs" >"$T/codecs.txt" 2>"$T/log/codecs-gen.log" \
  || rf_fail "tests/data/codec_studies.sh" "$T/log/codecs-gen.log"
while read -r name _ _ _ propose; do
  storescu "$propose" -aec "$AET" 127.0.0.1 "$DICOM_PORT" "$T/codecs/$name"/*.dcm >"$T/log/storescu-$name.log" 2>&1 \
    || rf_fail "storescu $propose of the $name study" "$T/log/storescu-$name.log"
done <"$T/codecs.txt"
node "$SRC/tests/browser/ohif_codecs.mjs" --base "http://127.0.0.1:$WEB_PORT" --list "$T/codecs.txt" \
  --password-file /var/lib/radflare/secrets/admin-password --out-dir "$ARTIFACTS" >"$T/log/codecs.log" 2>&1 \
  || { cat "$T/log/codecs.log"; rf_fail "OHIF with compressed transfer syntaxes" "$T/log/nginx-access.log"; }
sed 's/^ok - /    /' "$T/log/codecs.log"
ok "OHIF draws $(wc -l <"$T/codecs.txt") studies sent by C-STORE in their own transfer syntax -> $ARTIFACTS/codec-*.png"

# Frames of Big Endian and Deflated instances, asked as OHIF asks (any syntax:
# DICOMweb 1.7 fails them, nginx asks again in Little Endian), in Little Endian,
# and in Big Endian. With GDCM transcoding every syntax, a few of these crashed
# Orthanc (a stack overflow in libgdcmMSFF; gdcm.json now keeps GDCM to JPEG 2000).
syntax() { echo "multipart/related; type=\"application/octet-stream\"; transfer-syntax=$1"; }
for name in big-endian deflated; do
  uid=$(awk -v n="$name" '$1 == n { print $2 }' "$T/codecs.txt")
  frames=$(web "http://127.0.0.1:$WEB_PORT/dicom-web/studies/$uid/instances" \
    | jq -r '.[] | "\(.["0020000D"].Value[0])/series/\(.["0020000E"].Value[0])/instances/\(.["00080018"].Value[0])/frames/1"')
  for round in 1 2 3; do
    for f in $frames; do
      url="http://127.0.0.1:$WEB_PORT/dicom-web/studies/$f"
      for accept in "*" 1.2.840.10008.1.2.1; do
        web -o /dev/null -H "Accept: $(syntax "$accept")" "$url" >"$T/log/frames-$name.log" 2>&1 \
          || rf_fail "frames of the $name study with transfer-syntax=$accept (round $round)" "$T/log/frames-$name.log"
      done
      # DICOMweb 1.7 cannot answer this one (500); only that Orthanc survives it counts.
      web -o /dev/null -H "Accept: $(syntax 1.2.840.10008.1.2.2)" "$url" >/dev/null 2>&1 || true
    done
  done
done
web -o /dev/null "http://127.0.0.1:$WEB_PORT/dicom-web/studies" >"$T/log/frames-after.log" 2>&1 \
  || rf_fail "Orthanc after the Big Endian and Deflated frames" "$T/log/frames-after.log"
ok "frames of Big Endian and Deflated studies: any syntax and Little Endian answer, Orthanc stays up"

# ------------------------------- variant: files in PostgreSQL (seed's choice)
rf_orthanc_stop
rf_overlay_umount
mkdir -p "$T/root2/var/lib/radflare"
cp -a "$T/root/var/lib/radflare/secrets" "$T/root2/var/lib/radflare/"   # same passwords
write_toml postgresql radflare_files "$T/storage2" >"$T/radflare-files.toml"
rf_render "$T/radflare-files.toml" "$T/root2"
rf_overlay_root "$T/root2"
rf_psql "$PG_PORT" postgres -f - </etc/radflare/postgresql-bootstrap.sql >>"$T/log/bootstrap.log" 2>&1 \
  || rf_fail "bootstrap SQL (files in PostgreSQL)" "$T/log/bootstrap.log"
start_orthanc "$T/log/orthanc2"
ORTHANC_LOG=$(rf_orthanc_log "$T/log/orthanc2")
storescu -aec "$AET" 127.0.0.1 "$DICOM_PORT" "$T"/small/*.dcm >"$T/log/storescu2.log" 2>&1 \
  || rf_fail "storescu (files in PostgreSQL)" "$ORTHANC_LOG"
check_backends radflare_files "$T/storage2" 3 postgresql
ok "files = \"postgresql\": C-STORE lands in table storagearea of radflare_files, storage_dir stays empty"

echo "# host stack: all steps passed in $((SECONDS - START)) s"
