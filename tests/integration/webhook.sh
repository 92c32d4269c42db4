#!/usr/bin/env bash
# The shipped study-webhook forwarder against the real thing: Debian's Orthanc
# with its Python plugin running plugins/webhook_forwarder.py from the path the
# .deb installs it to, on the files `radflare render` writes (environment
# included), and a small HTTP receiver on loopback that records every request.
#
#   bash tests/integration/webhook.sh RADFLARE_BINARY SOURCE_DIR
#
# Proves (docs/webhook.md): N stored studies -> N events with the right content
# and the API key header; receiver returning 503 -> retries follow the
# configured backoff (1 s x2 up to 8 s); receiver down AND Orthanc restarted
# meanwhile -> every event delivered once it is back (distinct idempotency
# keys = N); retries exhausted -> dead letter, visible (stats.json, REST) and
# replayable (CLI and REST); the API key never in a log; nothing under /etc.
# Orthanc keeps its index in SQLite here (the webhook does not care, and it
# saves PostgreSQL's start-up). Needs root, orthanc + orthanc-python, dcmtk,
# python3-pydicom, curl, jq.
set -euo pipefail

RADFLARE=$(realpath "$1")
SRC=$(realpath "$2")

# shellcheck source=tests/integration/lib.sh
source "$SRC/tests/integration/lib.sh"
rf_enter_namespace "$0" "$RADFLARE" "$SRC"
rf_init
PY=/usr/bin/python3
T=$RF_TMP
stage_start=$SECONDS
ok() { rf_ok "$* ($((SECONDS - stage_start)) s)"; stage_start=$SECONDS; }

DICOM_PORT=$(rf_free_port) ORTHANC_PORT=$(rf_free_port) RECV_PORT=$(rf_free_port)
AET=RADFLARE
API_KEY="rf-it-key-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
QUEUE=/var/lib/orthanc/queue          # webhook.queue_path's default, inside the overlay
PLUGIN_LOGS=/var/lib/orthanc/plugin-logs
RECORDS=$T/receiver.jsonl
install -m 0600 /dev/null "$T/api-key" && printf '%s\n' "$API_KEY" >"$T/api-key"
mkdir -p "$T/storage" && chown orthanc: "$T/storage"

write_toml() {  # MAX_RETRIES
  cat <<EOF
[site]
name = "radflare-webhook-it"

[orthanc]
aet = "$AET"
dicom_port = $DICOM_PORT
http_port = $ORTHANC_PORT
stable_age = 2
storage_dir = "$T/storage"
plugins = ["python"]

[webhook]
url = "http://127.0.0.1:$RECV_PORT/hook"
api_key_file = "$T/api-key"
queue = "persistent"
max_retries = $1
initial_retry_delay = 1
max_retry_delay = 8
backoff_factor = 2.0
EOF
}

# ------------------------------------------------------------- receiver
# Records every POST to /hook as one JSON line (time, status, headers, body).
# /_reject/PID makes events of that PatientID fail with 503 (the body echoes
# the API key, so the plugin's redaction is exercised); /_accept/PID undoes it.
cat >"$T/receiver.py" <<'EOF'
import json, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
port, records = int(sys.argv[1]), sys.argv[2]
rejected, lock = set(), threading.Lock()

class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def reply(self, code, text):
        data = text.encode()
        self.send_response(code)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path.startswith("/_reject/"):
            rejected.add(self.path[9:]); return self.reply(200, "ok")
        if self.path.startswith("/_accept/"):
            rejected.discard(self.path[9:]); return self.reply(200, "ok")
        t = time.time()
        try:
            event = json.loads(body)
        except ValueError:
            event = None
        code = 503 if isinstance(event, dict) and event.get("PatientID") in rejected else 200
        with lock, open(records, "a") as f:
            f.write(json.dumps({"t": t, "path": self.path, "status": code,
                                "headers": {k.lower(): v for k, v in self.headers.items()}, "body": event}) + "\n")
        self.reply(code, "busy, your key was %s" % self.headers.get("X-API-Key") if code == 503 else "stored")

ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
EOF
RECV_PID=
receiver_start() {
  $PY "$T/receiver.py" "$RECV_PORT" "$RECORDS" >>"$T/log/receiver.log" 2>&1 &
  RECV_PID=$!
  RF_PIDS+=("$RECV_PID")
  rf_wait_url "http://127.0.0.1:$RECV_PORT/" 20 || rf_fail "the test receiver did not start" "$T/log/receiver.log"
}
receiver_stop() { kill "$RECV_PID"; wait "$RECV_PID" 2>/dev/null || true; }
receiver() { curl -sS -X POST -o /dev/null "http://127.0.0.1:$RECV_PORT/$1"; }
touch "$RECORDS"

# Questions about the records: python, so the checks read like sentences.
records() {  # PYTHON-EXPRESSION over `recs` (list of dicts); prints the result
  $PY - "$RECORDS" "$1" <<'EOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
recs = [r for r in recs if r["path"] == "/hook"]
ok = [r for r in recs if r["status"] == 200]
def by_pid(pid): return [r for r in recs if (r["body"] or {}).get("PatientID") == pid]
print(eval(sys.argv[2]))
EOF
}
# Poll until EXPRESSION prints True (TRIES × 0.5 s).
wait_records() {  # EXPRESSION TRIES WHAT
  for _ in $(seq "$2"); do [[ $(records "$1") == True ]] && return 0; sleep 0.5; done
  rf_fail "$3 (receiver saw: $(records 'len(recs)') requests, $(records 'len(ok)') accepted)" "$(rf_orthanc_log "$T/log/orthanc")"
}
stat_of() { jq -r ".$1" "$QUEUE/stats.json" 2>/dev/null || echo none; }
wait_stat() {  # JQ-CONDITION TRIES WHAT
  for _ in $(seq "$2"); do
    [[ $(jq -r "$1" "$QUEUE/stats.json" 2>/dev/null) == true ]] && return 0; sleep 0.5
  done
  rf_fail "$3 (stats.json: $(tr -d '\n' <"$QUEUE/stats.json" 2>/dev/null | head -c 600))" "$(rf_orthanc_log "$T/log/orthanc")"
}

# ------------------------------------------------------------- render
write_toml 30 >"$T/radflare.toml"  # ~3.5 min of retries at 8 s: outlives the 3-min outage below
rf_render "$T/radflare.toml" "$T/root"
grep -q '"PythonScript": "/usr/share/radflare/plugins/webhook_forwarder.py"' "$T/root/etc/radflare/orthanc/python.json" \
  || rf_fail "python.json does not run the shipped forwarder" "$T/root/etc/radflare/orthanc/python.json"
rf_overlay_root "$T/root"
# The .deb's file at its installed path: a read-only overlay on /usr/share.
mkdir -p "$T/usrshare/radflare/plugins"
cp "$SRC/plugins/webhook_forwarder.py" "$T/usrshare/radflare/plugins/"
mount -t overlay overlay -o "lowerdir=$T/usrshare:/usr/share" /usr/share || rf_fail "overlay on /usr/share"
PROXY_AUTH="radflare-proxy:$(cat /var/lib/radflare/secrets/proxy-password)"
ok "render (webhook on, no own script -> the shipped forwarder), overlays"

# ------------------------------------------------------------- Orthanc
# orthanc.service reads /etc/radflare/orthanc.env (EnvironmentFile=); its
# double-quoted systemd syntax is also valid shell.
start_orthanc() {
  rm -f "$QUEUE/stats.json"   # the new process writes its own at start
  set -a
  # shellcheck disable=SC1091
  source /etc/radflare/orthanc.env
  set +a
  rf_orthanc_start /etc/radflare/orthanc "$T/log/orthanc"
  # shellcheck disable=SC2046
  unset $(grep -o '^[A-Z_][A-Z0-9_]*' /etc/radflare/orthanc.env)
  RF_WAIT_PID=$RF_ORTHANC_PID rf_wait_url "http://127.0.0.1:$ORTHANC_PORT/system" 120 \
    || rf_fail "Orthanc did not start" "$(rf_orthanc_log "$T/log/orthanc")"
  for _ in $(seq 40); do [[ -f $QUEUE/stats.json ]] && return 0; sleep 0.25; done
  rf_fail "the forwarder wrote no $QUEUE/stats.json" "$(rf_orthanc_log "$T/log/orthanc")"
}
# SIGTERM to Orthanc itself, as systemd sends it (lib.sh's rf_orthanc_stop
# signals runuser, which SIGKILLs Orthanc after 2 s); then it must have
# stopped cleanly, the forwarder's threads included.
orthanc_stop() {
  local child log
  child=$(pgrep -P "$RF_ORTHANC_PID" -x Orthanc || true)
  [[ -n $child ]] || rf_fail "no Orthanc process under runuser $RF_ORTHANC_PID"
  kill "$child"
  for _ in $(seq 200); do kill -0 "$RF_ORTHANC_PID" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$RF_ORTHANC_PID" 2>/dev/null && rf_fail "Orthanc did not stop within 20 s" "$(rf_orthanc_log "$T/log/orthanc")"
  # shellcheck disable=SC2012  # Orthanc names its logs by date, no odd characters
  log=$(ls -t "$T"/log/orthanc/Orthanc.log.* | head -n1)
  grep -q 'Orthanc has stopped' "$log" || rf_fail "Orthanc did not stop cleanly" "$log"
}
orthanc_api() { curl -sS --fail-with-body -u "$PROXY_AUTH" "http://127.0.0.1:$ORTHANC_PORT$1" "${@:2}"; }
receiver_start
start_orthanc
[[ $(orthanc_api /radflare/webhook/stats | jq -r .queue_type) == persistent ]] \
  || rf_fail "GET /radflare/webhook/stats" "$(rf_orthanc_log "$T/log/orthanc")"
ok "Orthanc $(/usr/sbin/Orthanc --version | head -n1 | awk '{print $2}') with the forwarder; GET /radflare/webhook/stats answers"

# N studies, each its own patient; storescu to the DICOM port.
declare -A UID_OF
make_study() {  # I -> $T/studies/I, UID_OF[RFWH000I]
  local pid=RFWH000$1
  UID_OF[$pid]=$($PY "$SRC/tests/data/gen_study.py" "$T/studies/$1" --slices 2 --size 64 --seed "$((100 + $1))" \
    --patient-id "$pid" --description "webhook study $1")
}
store() {  # I...
  local files=() i
  for i in "$@"; do files+=("$T/studies/$i"/*.dcm); done
  storescu -aec "$AET" 127.0.0.1 "$DICOM_PORT" "${files[@]}" >>"$T/log/storescu.log" 2>&1 \
    || rf_fail "storescu" "$T/log/storescu.log"
}
for i in 1 2 3 4 5 6 7 8; do make_study "$i"; done   # 9: bad settings

# ------------------------------------------------------------- 1. N studies -> N events
store 1 2 3
wait_records "len({r['headers'].get('idempotency-key') for r in ok}) >= 3" 60 "3 studies did not give 3 events"
$PY - "$RECORDS" "$API_KEY" "${UID_OF[RFWH0001]}" "${UID_OF[RFWH0002]}" "${UID_OF[RFWH0003]}" <<'EOF' \
  || rf_fail "event content"
import datetime, json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
key, uids = sys.argv[2], sys.argv[3:]
assert len(recs) == 3, "want exactly 3 requests, got %d" % len(recs)
seen = set()
for r in recs:
    b, h = r["body"], r["headers"]
    assert r["status"] == 200
    assert h.get("x-api-key") == key, "API key header missing or wrong"
    assert h.get("content-type") == "application/json", h.get("content-type")
    assert h.get("idempotency-key") == b["idempotency_key"], "Idempotency-Key header != body"
    assert b["event"] == "study.stable", b
    i = int(b["PatientID"][-1])
    assert b["StudyInstanceUID"] == uids[i - 1], b
    assert len(b["orthanc_id"]) == 44 and b["orthanc_id"].count("-") == 4, b["orthanc_id"]
    assert b["modalities"] == ["CT"] and b["instance_count"] == 2, b
    assert b["appliance"] == "radflare-webhook-it", b
    t = datetime.datetime.fromisoformat(b["time"].replace("Z", "+00:00"))
    assert abs(t.timestamp() - r["t"]) < 30, (b["time"], r["t"])
    seen.add(b["StudyInstanceUID"])
assert seen == set(uids), seen
EOF
[[ $(stat_of delivered) == 3 ]] || rf_fail "stats.json: delivered is $(stat_of delivered), want 3"
ok "3 studies stored -> 3 events: content, X-API-Key, Idempotency-Key; stats.json delivered = 3"

# ------------------------------------------------------------- 2. backoff timing
receiver _reject/RFWH0004
store 4
wait_records "len(by_pid('RFWH0004')) >= 5" 60 "no 5 attempts for study 4"
receiver _accept/RFWH0004
wait_records "any(r['status'] == 200 for r in by_pid('RFWH0004'))" 40 "study 4 not delivered after the receiver recovered"
gaps=$(records "' '.join('%.2f' % (b['t'] - a['t']) for a, b in zip(by_pid('RFWH0004'), by_pid('RFWH0004')[1:]))")
$PY - "$gaps" <<'EOF' || rf_fail "retry gaps $gaps do not follow 1 s x2 up to 8 s"
import sys
gaps = [float(g) for g in sys.argv[1].split()]
want = [1, 2, 4, 8, 8]
assert len(gaps) == len(want), gaps
for g, w in zip(gaps, want):
    assert w - 0.2 <= g <= w + 1.0, (g, w)
EOF
[[ $(records "len({r['headers']['idempotency-key'] for r in by_pid('RFWH0004')})") == 1 ]] \
  || rf_fail "the retries of one event changed its idempotency key"
ok "receiver 503 for study 4: attempts $(records "len(by_pid('RFWH0004'))"), gaps $gaps s (want 1 2 4 8 8), same key"

# ------------------------------------------------------------- 3. receiver down + Orthanc restart
failed_before=$(stat_of failed_attempts)
receiver_stop
down_since=$SECONDS
store 5 6
wait_stat ".depth == 2 and .failed_attempts >= $((failed_before + 4))" 60 \
  "studies 5 and 6 were not queued and retried while the receiver was down"
orthanc_stop
$PY /usr/share/radflare/plugins/webhook_forwarder.py stats --queue "$QUEUE" >"$T/stats-stopped.json" \
  || rf_fail "webhook_forwarder.py stats with Orthanc stopped"
[[ $(jq .depth "$T/stats-stopped.json") == 2 ]] || rf_fail "queue depth with Orthanc stopped: $(jq .depth "$T/stats-stopped.json"), want 2"
start_orthanc
failed_restart=$(stat_of failed_attempts)
wait_stat ".failed_attempts > $failed_restart" 40 "no retry after the restart"
# Several minutes down in all, as a real outage of the customer's app.
while ((SECONDS - down_since < ${WEBHOOK_OUTAGE_SECONDS:-180})); do sleep 1; done
down_for=$((SECONDS - down_since))
receiver_start
wait_records "len({r['headers']['idempotency-key'] for r in ok}) >= 6" 40 "studies 5 and 6 not delivered after the receiver returned"
$PY - "$RECORDS" "${UID_OF[RFWH0001]}" "${UID_OF[RFWH0002]}" "${UID_OF[RFWH0003]}" "${UID_OF[RFWH0004]}" \
  "${UID_OF[RFWH0005]}" "${UID_OF[RFWH0006]}" <<'EOF' || rf_fail "not every study delivered"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ok = [r for r in recs if r["path"] == "/hook" and r["status"] == 200]
keys = {r["headers"]["idempotency-key"] for r in ok}
assert len(keys) == 6, "distinct idempotency keys delivered: %d, want 6" % len(keys)
uids = {r["body"]["StudyInstanceUID"] for r in ok}
assert uids == set(sys.argv[2:]), uids
EOF
wait_stat ".depth == 0 and .dead == 0 and .delivered == 6" 20 "stats.json after recovery"
ok "receiver down $down_for s, Orthanc restarted meanwhile: 2 queued events survived, all 6 keys delivered"

# ------------------------------------------------------------- 4. dead letter + replay
# max_retries = 1: one retry after 1 s, then a dead letter. Only orthanc.env changes.
orthanc_stop
write_toml 1 >"$T/radflare-1.toml"
rf_render "$T/radflare-1.toml" "$T/root-1"
cmp -s "$T/root-1/etc/radflare/orthanc/python.json" /etc/radflare/orthanc/python.json \
  || rf_fail "python.json changed with webhook.max_retries"
cp "$T/root-1/etc/radflare/orthanc.env" /etc/radflare/orthanc.env
grep -q '^ORTHANC_PLUGIN_MAX_RETRIES="1"$' /etc/radflare/orthanc.env || rf_fail "orthanc.env lacks max_retries 1"
start_orthanc
receiver _reject/RFWH0007
store 7
wait_stat ".dead == 1 and .dead_lettered == 1" 40 "study 7 was not dead-lettered"
[[ $(records "len(by_pid('RFWH0007'))") == 2 ]] || rf_fail "study 7: $(records "len(by_pid('RFWH0007'))") attempts, want 2 (1 + max_retries)"
[[ $(orthanc_api /radflare/webhook/stats | jq '.dead') == 1 ]] || rf_fail "REST stats do not show the dead letter"
dead_key=$(orthanc_api /radflare/webhook/dead | jq -r '.[0].idempotency_key')
[[ $dead_key == $(records "by_pid('RFWH0007')[0]['headers']['idempotency-key']") ]] \
  || rf_fail "GET /radflare/webhook/dead lists $dead_key"
receiver _accept/RFWH0007
# The operator's command: `radflare webhook replay` once main.cc dispatches it,
# else the script it execs.
rc=0
"$RADFLARE" webhook list-dead --config "$T/radflare-1.toml" >"$T/log/list-dead.log" 2>&1 || rc=$?
if ! grep -q 'unknown command' "$T/log/list-dead.log"; then
  [[ $rc == 0 && $(jq -r '.[0].idempotency_key' "$T/log/list-dead.log") == "$dead_key" ]] \
    || rf_fail "radflare webhook list-dead (exit $rc)" "$T/log/list-dead.log"
  "$RADFLARE" webhook replay --config "$T/radflare-1.toml" >"$T/log/replay.log" 2>&1 \
    || rf_fail "radflare webhook replay" "$T/log/replay.log"
  how="radflare webhook replay"
else
  $PY /usr/share/radflare/plugins/webhook_forwarder.py replay --queue "$QUEUE" >"$T/log/replay.log" 2>&1 \
    || rf_fail "webhook_forwarder.py replay" "$T/log/replay.log"
  how="webhook_forwarder.py replay (radflare webhook is not dispatched yet)"
fi
grep -q '^1 dead-lettered' "$T/log/replay.log" || rf_fail "replay did not report 1 event" "$T/log/replay.log"
wait_records "any(r['status'] == 200 for r in by_pid('RFWH0007'))" 20 "the replayed study 7 was not delivered"
wait_stat ".dead == 0 and .replayed == 1" 20 "stats.json after the replay"
ok "max_retries 1: study 7 dead-lettered after 2 attempts, in stats.json + REST, replayed by $how"

receiver _reject/RFWH0008
store 8
wait_stat ".dead == 1" 40 "study 8 was not dead-lettered"
receiver _accept/RFWH0008
[[ $(orthanc_api /radflare/webhook/replay -X POST | jq .replayed) == 1 ]] || rf_fail "POST /radflare/webhook/replay"
wait_records "any(r['status'] == 200 for r in by_pid('RFWH0008'))" 20 "study 8 not delivered after the REST replay"
[[ $(records "len({r['headers']['idempotency-key'] for r in ok})") == 8 ]] \
  || rf_fail "distinct delivered keys: $(records "len({r['headers']['idempotency-key'] for r in ok})"), want 8"
ok "study 8 dead-lettered, replayed by POST /radflare/webhook/replay; 8 studies -> 8 distinct keys delivered"

# ------------------------------------------------------------- bad settings
# A hand-edited environment: unusable URL, no key, numbers that do not parse.
# Orthanc must start and store; the forwarder names each problem and queues.
orthanc_stop
sed -i -e 's#^ORTHANC_PLUGIN_RADFLARE_API_URL=.*#ORTHANC_PLUGIN_RADFLARE_API_URL="not-a-url"#' \
  -e 's#^ORTHANC_PLUGIN_API_KEY=.*#ORTHANC_PLUGIN_API_KEY=""#' \
  -e 's#^ORTHANC_PLUGIN_MAX_RETRIES=.*#ORTHANC_PLUGIN_MAX_RETRIES="three"#' \
  -e 's#^ORTHANC_PLUGIN_RETRY_BACKOFF_FACTOR=.*#ORTHANC_PLUGIN_RETRY_BACKOFF_FACTOR="-1"#' /etc/radflare/orthanc.env
start_orthanc
make_study 9
store 9
[[ $(orthanc_api /studies | jq length) == 9 ]] || rf_fail "Orthanc holds $(orthanc_api /studies | jq length) studies, want 9"
wait_stat ".depth == 1 and .delivering == false" 20 "study 9 was not queued with the URL unusable"
jq -r '.settings_problems[]' "$QUEUE/stats.json" >"$T/problems.txt"
for v in RADFLARE_API_URL API_KEY MAX_RETRIES RETRY_BACKOFF_FACTOR; do
  grep -q "^ORTHANC_PLUGIN_$v" "$T/problems.txt" || rf_fail "no problem reported for ORTHANC_PLUGIN_$v" "$T/problems.txt"
  grep -rq "setting problem: ORTHANC_PLUGIN_$v" "$T/log/orthanc" || rf_fail "Orthanc's log does not name ORTHANC_PLUGIN_$v"
done
ok "bad settings: Orthanc stores study 9; the 4 problems named in its log and stats.json; the event waits in the queue"

# ------------------------------------------------------------- secrets and logs
orthanc_stop
[[ -s $PLUGIN_LOGS/webhook_forwarder.log ]] || rf_fail "no plugin log under $PLUGIN_LOGS"
grep -q 'dead-lettered' "$PLUGIN_LOGS/webhook_forwarder.log" || rf_fail "the plugin log lacks the dead letter" "$PLUGIN_LOGS/webhook_forwarder.log"
grep -rq 'HTTP 503: busy, your key was \*\*\*' "$T/log/orthanc" \
  || rf_fail "Orthanc's log lacks the redacted 503 answer" "$(rf_orthanc_log "$T/log/orthanc")"
leaks=$(grep -rlF -- "$API_KEY" "$T/log" "$PLUGIN_LOGS" "$QUEUE/stats.json" 2>/dev/null || true)
[[ -z $leaks ]] || rf_fail "the API key appears in: $leaks"
etc_files=$(cd "$T/ovl" && find ./*_etc/upper -type f | sed 's#^\./[^/]*/upper##' | sort | tr '\n' ' ')
[[ $etc_files == "/radflare/orthanc.env " ]] || rf_fail "files written under /etc while running: $etc_files"
[[ $(stat -c %a "$QUEUE/queue.sqlite3") == 600 && $(stat -c %U "$QUEUE/queue.sqlite3") == orthanc ]] \
  || rf_fail "queue.sqlite3 is $(stat -c '%a %U' "$QUEUE/queue.sqlite3"), want 600 orthanc"
ok "API key in no log, stats file or plugin log; plugin logs in $PLUGIN_LOGS; nothing written under /etc"
echo "# webhook integration: $SECONDS s"
