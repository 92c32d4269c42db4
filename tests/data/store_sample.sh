#!/usr/bin/env bash
# The demos' sample study: a generated 40-slice 512x512 CT ("Radflare demo
# CT", patient RADFLARE^DEMO), stored with one STOW-RS through the
# appliance's nginx as user admin. Prints its StudyInstanceUID.
#
#   bash tests/data/store_sample.sh BASE_URL ADMIN_PASSWORD_FILE WORKDIR
set -euo pipefail
base=$1 pwfile=$2 work=$3
here=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3   # Debian's, with pydicom and numpy
uid=$("$PY" "$here/gen_study.py" "$work/sample" --slices 40 --size 512 --seed 42 \
  --patient-id RFDEMO0001 --patient-name "RADFLARE^DEMO" --description "Radflare demo CT")
ctype=$("$PY" "$here/stow_body.py" "$work/sample" "$work/stow.body")
# The password goes to curl in a config on stdin, never on its command line.
printf 'user = "admin:%s"\n' "$(cat "$pwfile")" |
  curl -sS --fail-with-body --max-time 300 -K - -o "$work/stow.json" \
    -H "Content-Type: $ctype" -H 'Accept: application/dicom+json' \
    --data-binary @"$work/stow.body" "$base/dicom-web/studies" >&2
echo "$uid"
