#!/usr/bin/env bash
# OHIF in headless Chromium, through an appliance's nginx: the study list and
# the viewer must show STUDY_UID with TEXT (ohif_screenshot.mjs); the
# screenshot goes to PNG. Installs the driver's node modules first.
#
#   bash tests/browser/ohif_shows_study.sh BASE_URL STUDY_UID TEXT ADMIN_PASSWORD_FILE PNG [TIMEOUT_S]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bash "$here/install.sh"
mkdir -p "$(dirname "$5")"
node "$here/ohif_screenshot.mjs" --base "$1" --study "$2" --expect-text "$3" \
  --password-file "$4" --out "$5" --timeout "${6:-120}"
