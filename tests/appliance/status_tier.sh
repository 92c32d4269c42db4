#!/usr/bin/env bash
# Appliance test of the status page (issue 5): radflare.service in the
# provisioned rootfs booted under systemd-nspawn (tests/appliance/lib.sh),
# seen from the host across the veth as an office PC would see it.
#   - headless Chromium loads the page, every unit's row shows its state,
#     screenshot in $ARTIFACTS; `systemctl stop nginx` turns nginx's row and
#     the verdict red within 10 s, `systemctl start nginx` green again;
#   - /api/status validates against docs/status-api.schema.json; /metrics
#     parses as Prometheus text; /healthz 200, 503 while nginx is down;
#   - read-only (405), only on its own port (nginx does not proxy it);
#   - an allow-list without the client's network gives 403; a new port on
#     reload moves the listener;
#   - no secret of the appliance appears in any answer.
#
#   bash tests/appliance/status_tier.sh RADFLARE_BINARY SOURCE_DIR
set -euo pipefail

# shellcheck source=tests/appliance/lib.sh
source "$(dirname "$0")/lib.sh"  # re-runs this script in a private mount namespace; sets RADFLARE, SRC
bash "$SRC/tests/browser/install.sh" >"$T/log/npm.log" 2>&1 || fail "npm ci in tests/browser" "$T/log/npm.log"
$PY -c 'import jsonschema, prometheus_client' 2>/dev/null \
  || fail "needs python3-jsonschema and python3-prometheus-client (scripts/install-deps.sh)"
rf_build_image
rf_setup_network

C=s
ROOT=$T/$C/root
TOML=$ROOT/etc/radflare.toml
PORT=8090
BASE=http://$CT_IP:$PORT
R=$T/responses
mkdir -p "$R" "$ARTIFACTS"

reload() { in_ct "$C" systemctl reload radflare.service >>"$T/log/reloads.log" 2>&1; }
must_reload() {  # WHAT
  reload && return 0
  in_ct "$C" journalctl --no-pager -u radflare.service -n 40 >"$T/log/radflare.log" 2>&1 || true
  fail "$1: systemctl reload radflare failed" "$T/log/radflare.log"
}
# Every answer the test receives is kept for the secret scan at the end.
n=0
fetch() {  # URL [curl args...] -> CODE (HTTP status, 000: no answer), BODY (file)
  local url=$1; shift
  n=$((n + 1))
  BODY=$R/$n
  echo "$url" >"$BODY.url"
  CODE=$(curl -s --max-time 10 -o "$BODY" -w '%{http_code}' "$@" "$url") || CODE=000
  [[ -f $BODY ]] || : >"$BODY"
}
journal() { in_ct "$C" journalctl --no-pager -u radflare.service -n 60 >"$T/log/radflare.log" 2>&1 || true; }

# ------------------------------------------------------------------ boot
make_copy "$C"
boot "$C"
wait_booted "$C"
wait_healthy "$C" "http://$CT_IP/dicom-web/studies"
[[ -f $ROOT/usr/share/radflare/web-status/index.html ]] || fail "the image lacks /usr/share/radflare/web-status"
code=
for _ in $(seq 120); do
  fetch "$BASE/healthz"; code=$CODE
  [[ $code == 200 ]] && break
  sleep 0.5
done
[[ $code == 200 ]] || { journal; cp "$BODY" "$T/log/healthz.json" 2>/dev/null || true
  fail "GET /healthz answered $code, want 200 (verdict: $(cat "$BODY" 2>/dev/null))" "$T/log/radflare.log"; }
ok "status page answers on $CT_IP:$PORT from the host; /healthz 200 ($(jq -r .summary "$BODY"))"

# ------------------------------------------------- only its own port
owner=$(in_ct "$C" ss -ltnpH "sport = :$PORT" | grep -o 'users:(("[^"]*"' | head -n1 | cut -d'"' -f2)
[[ $owner == radflare ]] || fail "port $PORT is held by '$owner', want radflare"
if grep -rqs -e ":$PORT" -e " $PORT;" "$ROOT/etc/nginx/"; then fail "nginx's configuration mentions port $PORT"; fi
for path in /api/status /metrics /healthz /status/api/status; do
  fetch "http://$CT_IP$path" -u "admin:$(cat "$ROOT/var/lib/radflare/secrets/admin-password")"
  if grep -q '"schema_version"\|radflare_unit_active' "$BODY"; then
    fail "nginx (port 80) serves the status page's $path"
  fi
done
ok "port $PORT is radflare's own listener; nginx neither mentions nor proxies it"

# ------------------------------------------------------------- the page
shot=$ARTIFACTS/status-page.png
node "$SRC/tests/browser/status_page.mjs" --url "$BASE/" --out "$shot" --toggle nginx.service --within 10 \
  --stop-cmd "nsenter -t $(leader "$C") -a systemctl stop nginx.service" \
  --start-cmd "nsenter -t $(leader "$C") -a systemctl start nginx.service" \
  >"$T/log/browser.log" 2>&1 || { cat "$T/log/browser.log" >&2; fail "the status page in Chromium" "$T/log/browser.log"; }
grep '^#' "$T/log/browser.log" || true
grep '^ok - ' "$T/log/browser.log" | sed 's/^ok - /  /'
ok "Chromium: every unit's state in the DOM; nginx stopped -> row and verdict red, started -> green (screenshots in $ARTIFACTS)"

# /healthz follows the verdict: 503 while nginx is down.
in_ct "$C" systemctl stop nginx.service
code=
for _ in $(seq 40); do fetch "$BASE/healthz"; code=$CODE; [[ $code == 503 ]] && break; sleep 0.25; done
in_ct "$C" systemctl start nginx.service
[[ $code == 503 ]] || fail "/healthz answered $code with nginx stopped, want 503"
grep -q 'nginx.service is inactive' "$BODY" || fail "/healthz does not say why: $(cat "$BODY")"
for _ in $(seq 40); do fetch "$BASE/healthz"; code=$CODE; [[ $code == 200 ]] && break; sleep 0.25; done
[[ $code == 200 ]] || fail "/healthz answered $code after nginx came back"
ok "/healthz: 503 naming nginx.service while it is stopped, 200 again after"

# ----------------------------------------------- schema and Prometheus text
# Some data first, so Orthanc's counts and the last study are not empty.
$PY - "$T/ct.dcm" <<'PYEOF'
import sys, pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid, CTImageStorage
m = FileMetaDataset(); m.MediaStorageSOPClassUID = CTImageStorage; m.MediaStorageSOPInstanceUID = generate_uid()
m.TransferSyntaxUID = ExplicitVRLittleEndian
d = Dataset(); d.file_meta = m; d.SOPClassUID = CTImageStorage; d.SOPInstanceUID = m.MediaStorageSOPInstanceUID
d.StudyInstanceUID = generate_uid(); d.SeriesInstanceUID = generate_uid(); d.PatientID = "RFSTATUS"; d.Modality = "CT"
d.Rows = d.Columns = 8; d.BitsAllocated = d.BitsStored = 16; d.HighBit = 15; d.PixelRepresentation = 0
d.SamplesPerPixel = 1; d.PhotometricInterpretation = "MONOCHROME2"; d.PixelData = bytes(128)
d.is_little_endian = True; d.is_implicit_VR = False
d.save_as(sys.argv[1], write_like_original=False)
PYEOF
storescu -aec RADFLARE "$CT_IP" 4242 "$T/ct.dcm" >"$T/log/storescu.log" 2>&1 || fail "storescu" "$T/log/storescu.log"
for _ in $(seq 40); do
  fetch "$BASE/api/status"; code=$CODE
  [[ $code == 200 ]] && jq -e '.orthanc.instances >= 1 and .orthanc.last_study != null' "$BODY" >/dev/null && break
  sleep 0.5
done
jq -e '.orthanc.instances >= 1 and .orthanc.last_study != null' "$BODY" >/dev/null \
  || fail "/api/status does not show the stored instance: $(jq -c .orthanc "$BODY")"
cp "$BODY" "$ARTIFACTS/status-api.json"
$PY - "$SRC/docs/status-api.schema.json" "$BODY" >"$T/log/schema.log" 2>&1 <<'PYEOF' || fail "/api/status does not validate against docs/status-api.schema.json" "$T/log/schema.log"
import json, sys, jsonschema
schema, doc = (json.load(open(p)) for p in sys.argv[1:3])
v = jsonschema.Draft202012Validator(schema)
errors = sorted(v.iter_errors(doc), key=lambda e: list(e.path))
for e in errors:
    print("/".join(map(str, e.path)) or "(root)", ":", e.message)
sys.exit(1 if errors else 0)
PYEOF
pg=$(jq -r '"PostgreSQL \(.postgresql.server_version), \(.postgresql.latency_ms) ms"' "$BODY")
or=$(jq -r '"Orthanc \(.orthanc.version), \(.orthanc.instances) instance(s), plugins \([.orthanc.plugins[].name] | join(","))"' "$BODY")
ok "/api/status validates against docs/status-api.schema.json ($or; $pg; verdict $(jq -r .verdict.level "$BODY"))"

fetch "$BASE/metrics"; code=$CODE
[[ $code == 200 ]] || fail "/metrics answered $code"
$PY - "$BODY" >"$T/log/metrics.log" 2>&1 <<'PYEOF' || fail "/metrics is not valid Prometheus text" "$T/log/metrics.log"
import sys
from prometheus_client.parser import text_string_to_metric_families
text = open(sys.argv[1]).read()
families = {f.name: f for f in text_string_to_metric_families(text)}
want = ["radflare_status_verdict", "radflare_unit_active", "radflare_unit_restarts", "radflare_orthanc_up",
        "radflare_orthanc_instances", "radflare_postgresql_latency_seconds", "radflare_disk_free_bytes",
        "radflare_last_reload_success"]
missing = [w for w in want if w not in families]
print(len(families), "families,", sum(len(f.samples) for f in families.values()), "samples")
if missing:
    print("missing:", missing); sys.exit(1)
units = {s.labels["unit"]: s.value for s in families["radflare_unit_active"].samples}
print("units:", units)
if not units or any(v != 1 for v in units.values()):
    print("a unit is not active"); sys.exit(1)
PYEOF
ok "/metrics parses as Prometheus text (prometheus_client): $(head -n1 "$T/log/metrics.log")"

# ------------------------------------------------------------ read-only
for m in POST PUT DELETE PATCH; do
  fetch "$BASE/api/status" -X "$m" -d x; code=$CODE
  [[ $code == 405 ]] || fail "$m /api/status answered $code, want 405"
done
[[ $(curl -s -o /dev/null -w '%{http_code}' -I "$BASE/api/status") == 200 ]] || fail "HEAD /api/status is not 200"
for a in / /app.js /style.css /index.html /nope; do fetch "$BASE$a"; done
ok "read-only: POST, PUT, DELETE, PATCH -> 405; HEAD 200"

# ---------------------------------------------------------- allow-list
cp "$TOML" "$T/good.toml"
sed -i 's#^allowed_cidrs = .*#allowed_cidrs = ["127.0.0.0/8", "::1/128"]#' "$TOML"
must_reload "allow-list without the host"
for a in / /api/status /metrics /healthz /app.js; do
  fetch "$BASE$a"; code=$CODE
  [[ $code == 403 ]] || fail "GET $a from $HOST_IP answered $code with allowed_cidrs = 127.0.0.0/8, want 403"
done
fetch "$BASE/api/status" -X POST -d x; code=$CODE
[[ $code == 403 ]] || fail "POST from outside the allow-list answered $code, want 403"
inside=$(in_ct_net "$C" curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/api/status")
[[ $inside == 200 ]] || fail "from 127.0.0.1 inside the appliance: $inside, want 200"
ok "allowed_cidrs without $HOST_IP: every path 403 from the host (no reload of the listener needed); 200 from 127.0.0.1"

sed -i "s#^port = $PORT\$#port = 8091#" "$TOML"
grep -q '^port = 8091$' "$TOML" || fail "could not set status.port in $TOML"
must_reload "status.port 8091"
code=
for _ in $(seq 20); do
  code=$(in_ct_net "$C" curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:8091/healthz" || true)
  [[ $code == 200 ]] && break
  sleep 0.25
done
[[ $code == 200 ]] || fail "after status.port = 8091 and a reload, 127.0.0.1:8091 answered $code"
old=$(in_ct_net "$C" curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/healthz" || true)
[[ $old == 000 ]] || fail "port $PORT still answers ($old) after the move to 8091"
cp "$T/good.toml" "$TOML"
must_reload "back to the original [status]"
for _ in $(seq 20); do fetch "$BASE/healthz"; code=$CODE; [[ $code == 200 ]] && break; sleep 0.25; done
[[ $code == 200 ]] || fail "back on $PORT with the LAN allow-list: /healthz answered $code"
ok "status.port 8090 -> 8091 on reload: the listener moved (old port closed), and back"

# ------------------------------------------------------ no secret anywhere
for a in / /index.html /app.js /style.css /api/status /metrics /healthz; do fetch "$BASE$a"; done
fetch "$BASE/api/status" -H 'X-Forwarded-For: 127.0.0.1'
$PY - "$ROOT" "$R" >"$T/log/secrets.log" 2>&1 <<'PYEOF' || fail "a secret appears in an answer of the status page" "$T/log/secrets.log"
import base64, glob, json, os, re, sys
root, responses = sys.argv[1], sys.argv[2]
secrets = {}
def add(value, where):
    value = value.strip()
    if len(value) >= 6:
        secrets.setdefault(value, where)
for f in glob.glob(root + "/var/lib/radflare/secrets/*"):
    add(open(f, errors="replace").read(), f[len(root):])
# Internal passwords as rendered: Orthanc's users, the database's, nginx's credentials.
for f in glob.glob(root + "/etc/radflare/orthanc/*.json"):
    def walk(j, path):
        if isinstance(j, dict):
            for k, v in j.items():
                if isinstance(v, str) and (k.lower() in ("password", "connectionuri") or path.endswith("RegisteredUsers")):
                    add(v, f[len(root):] + ":" + path + "/" + k)
                walk(v, path + "/" + k)
        elif isinstance(j, list):
            for x in j: walk(x, path)
    walk(json.load(open(f)), "")
for f in glob.glob(root + "/etc/nginx/radflare-*.conf") + glob.glob(root + "/etc/radflare/orthanc.env"):
    text = open(f, errors="replace").read()
    for token in re.findall(r"Basic ([A-Za-z0-9+/=]{8,})", text):
        add(token, f[len(root):])
        user, _, pw = base64.b64decode(token).decode(errors="replace").partition(":")
        add(pw, f[len(root):] + " (decoded)")
    for m in re.findall(r"^ORTHANC_PLUGIN_API_KEY=(.*)$", text, re.M):
        add(m.strip('"'), f[len(root):])
for s, where in sorted(secrets.items(), key=lambda x: x[1]):
    print(f"secret from {where} ({len(s)} chars)")
bodies = sorted(glob.glob(responses + "/*[0-9]"), key=lambda p: int(os.path.basename(p)))
leaks = 0
for b in bodies:
    data = open(b, "rb").read().decode(errors="replace")
    url = open(b + ".url").read().strip()
    for s, where in secrets.items():
        if s in data:
            leaks += 1
            print(f"LEAK: {url} contains the secret from {where}")
print(f"{len(secrets)} secrets checked against {len(bodies)} answers; {leaks} leaks")
# At least the three generated secrets and nginx's two Basic credentials.
sys.exit(1 if leaks or len(secrets) < 5 or not bodies else 0)
PYEOF
ok "no secret in any answer: $(tail -n1 "$T/log/secrets.log")"

# The server's threads must not hold up a stop (systemd waits for them).
t0=$(date +%s%N)
in_ct "$C" systemctl stop radflare.service
took=$((($(date +%s%N) - t0) / 1000000))
((took <= 10000)) || fail "systemctl stop radflare took $took ms (want ≤ 10 s)"
ok "systemctl stop radflare: $took ms"

poweroff "$C"
ok "status tier passed in $((SECONDS - START)) s"
