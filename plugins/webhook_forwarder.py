#!/usr/bin/python3
"""Radflare's study webhook forwarder.

Runs inside Orthanc's Python plugin (Debian 12: orthanc-python 4.0, Python
3.11) when `webhook.url` is set in /etc/radflare.toml and no `python.script`
replaces it. Settings come from the environment of orthanc.service
(/etc/radflare/orthanc.env, rendered by `radflare render`), the seed's
ORTHANC_PLUGIN_* variables:

  ORTHANC_PLUGIN_RADFLARE_API_URL       where events are POSTed (http/https)
  ORTHANC_PLUGIN_API_KEY                sent as the X-API-Key header (never logged)
  ORTHANC_PLUGIN_QUEUE_TYPE             memory | persistent
  ORTHANC_PLUGIN_PERSISTENT_QUEUE_PATH  folder: queue.sqlite3 (persistent) and stats.json
  ORTHANC_PLUGIN_MAX_RETRIES            retries after the first attempt, then dead letter
  ORTHANC_PLUGIN_INITIAL_RETRY_DELAY    seconds before the first retry
  ORTHANC_PLUGIN_MAX_RETRY_DELAY        longest wait between retries, seconds
  ORTHANC_PLUGIN_RETRY_BACKOFF_FACTOR   each retry waits this many times longer
  ORTHANC_PLUGIN_STABLE_SERIES          true: an event per stable series too
  ORTHANC_PLUGIN_APPLIANCE_NAME         `site.name`, sent in every event
  ORTHANC_PLUGIN_LOG_DIR                this plugin's own log file (never under /etc)

Orthanc's change callback only hands the change to a queue in memory; two
background threads describe the resource (Orthanc's REST API), store the event
(SQLite for `persistent`, so it survives restarts) and deliver it. Nothing
raised here ever reaches Orthanc: a bad setting is logged and Orthanc keeps
storing studies.

Also a command-line tool (what `radflare webhook ...` runs):

  webhook_forwarder.py stats     [--queue DIR] [--queue-type persistent|memory]
  webhook_forwarder.py list-dead [--queue DIR] [--queue-type ...]
  webhook_forwarder.py replay    [--queue DIR] [--queue-type ...] [--key KEY]...

See docs/webhook.md.
"""

import argparse
import datetime
import json
import logging
import logging.handlers
import os
import queue as queue_module
import sqlite3
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

try:  # inside Orthanc
    import orthanc  # type: ignore
except ImportError:  # command line, unit tests
    orthanc = None

API_KEY_HEADER = "X-API-Key"
IDEMPOTENCY_HEADER = "Idempotency-Key"
USER_AGENT = "radflare-webhook-forwarder/1"
DB_NAME = "queue.sqlite3"
STATS_NAME = "stats.json"
REPLAY_REQUEST_NAME = "replay-request"  # memory queue: the CLI asks the plugin
DEFAULT_LOG_DIR = "/var/lib/orthanc/plugin-logs"
KEY_NAMESPACE = uuid.UUID("6f1f7f0e-5a0c-4c53-9b0e-7261646600aa")
HTTP_TIMEOUT = 10.0   # seconds per attempt
POLL_SECONDS = 1.0    # delivery thread wakes at least this often
STATS_HEARTBEAT = 10.0

log = logging.getLogger("radflare.webhook")


# ------------------------------------------------------------------ settings
class Settings:
    """The forwarder's settings; `problems` holds one sentence per bad value
    (which was replaced by its default). Never holds a message with the key."""

    def __init__(self):
        self.url = ""
        self.api_key = ""
        self.queue_type = "persistent"
        self.queue_path = "/var/lib/orthanc/queue"
        self.max_retries = 1
        self.initial_delay = 20.0
        self.max_delay = 60.0
        self.backoff_factor = 2.0
        self.stable_series = False
        self.appliance = ""
        self.log_dir = DEFAULT_LOG_DIR
        self.problems = []
        self.deliver = True  # False: the URL is unusable; events are only queued

    def public(self):
        """What may be shown (stats, logs): no key, no credentials in the URL."""
        return {
            "url": redact_url(self.url),
            "api_key_set": bool(self.api_key),
            "queue_type": self.queue_type,
            "queue_path": self.queue_path,
            "max_retries": self.max_retries,
            "initial_retry_delay": self.initial_delay,
            "max_retry_delay": self.max_delay,
            "backoff_factor": self.backoff_factor,
            "stable_series": self.stable_series,
            "appliance": self.appliance,
        }


def redact_url(url):
    """scheme://host[:port]/path: user info, query and fragment left out."""
    try:
        p = urllib.parse.urlsplit(url)
        host = p.hostname or ""
        if p.port:
            host += ":%d" % p.port
        return "%s://%s%s" % (p.scheme, host, p.path) if p.scheme else ""
    except ValueError:
        return "(unparsable URL)"


def _number(env, name, default, minimum, maximum, integer, problems):
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip()) if integer else float(raw.strip())
        if value != value or value < minimum or value > maximum:  # NaN too
            raise ValueError
        return value
    except ValueError:
        kind = "a whole number" if integer else "a number"
        problems.append("%s=%r is not %s between %s and %s; using %s"
                        % (name, raw[:40], kind, minimum, maximum, default))
        return default


def _flag(env, name, problems):
    raw = env.get(name, "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    problems.append("%s=%r is not true or false; using false" % (name, raw[:40]))
    return False


def load_settings(env):
    s = Settings()
    p = s.problems
    s.url = env.get("ORTHANC_PLUGIN_RADFLARE_API_URL", "").strip()
    s.api_key = env.get("ORTHANC_PLUGIN_API_KEY", "")
    if s.api_key != s.api_key.strip() or any(c in s.api_key for c in "\r\n\0"):
        p.append("ORTHANC_PLUGIN_API_KEY has surrounding blanks or control characters; "
                 "they were removed")
        s.api_key = "".join(c for c in s.api_key.strip() if c not in "\r\n\0")
    qt = env.get("ORTHANC_PLUGIN_QUEUE_TYPE", "persistent").strip().lower() or "persistent"
    if qt not in ("memory", "persistent"):
        p.append("ORTHANC_PLUGIN_QUEUE_TYPE=%r is neither memory nor persistent; using persistent"
                 % qt[:40])
        qt = "persistent"
    s.queue_type = qt
    qp = env.get("ORTHANC_PLUGIN_PERSISTENT_QUEUE_PATH", "").strip()
    if qp and not os.path.isabs(qp):
        p.append("ORTHANC_PLUGIN_PERSISTENT_QUEUE_PATH=%r is not an absolute path; using %s"
                 % (qp[:80], s.queue_path))
    elif qp:
        s.queue_path = qp
    s.max_retries = _number(env, "ORTHANC_PLUGIN_MAX_RETRIES", 1, 0, 1000, True, p)
    s.initial_delay = float(_number(env, "ORTHANC_PLUGIN_INITIAL_RETRY_DELAY", 20, 0, 86400, False, p))
    s.max_delay = float(_number(env, "ORTHANC_PLUGIN_MAX_RETRY_DELAY", 60, 0, 604800, False, p))
    s.backoff_factor = float(_number(env, "ORTHANC_PLUGIN_RETRY_BACKOFF_FACTOR", 2.0, 1.0, 100.0, False, p))
    if s.max_delay < s.initial_delay:
        p.append("ORTHANC_PLUGIN_MAX_RETRY_DELAY (%g) is below ORTHANC_PLUGIN_INITIAL_RETRY_DELAY "
                 "(%g); every retry waits %g s" % (s.max_delay, s.initial_delay, s.max_delay))
    s.stable_series = _flag(env, "ORTHANC_PLUGIN_STABLE_SERIES", p)
    s.appliance = env.get("ORTHANC_PLUGIN_APPLIANCE_NAME", "").strip()
    ld = env.get("ORTHANC_PLUGIN_LOG_DIR", "").strip() or DEFAULT_LOG_DIR
    if not os.path.isabs(ld) or os.path.normpath(ld) == "/etc" or os.path.normpath(ld).startswith("/etc/"):
        p.append("ORTHANC_PLUGIN_LOG_DIR=%r is not an absolute path outside /etc; using %s"
                 % (ld[:80], DEFAULT_LOG_DIR))
        ld = DEFAULT_LOG_DIR
    s.log_dir = ld

    if not s.url:
        p.append("ORTHANC_PLUGIN_RADFLARE_API_URL is empty: events are queued but not sent")
        s.deliver = False
    else:
        try:
            parts = urllib.parse.urlsplit(s.url)
            ok = parts.scheme in ("http", "https") and bool(parts.hostname)
        except ValueError:
            ok = False
        if not ok:
            p.append("ORTHANC_PLUGIN_RADFLARE_API_URL (%s) is not an http(s) URL with a host: "
                     "events are queued but not sent" % redact_url(s.url))
            s.deliver = False
    if not s.api_key:
        p.append("ORTHANC_PLUGIN_API_KEY is empty: events are sent without the %s header"
                 % API_KEY_HEADER)
    return s


# ------------------------------------------------------------------- backoff
def retry_delay(retry_number, initial, factor, maximum):
    """Seconds to wait before retry number `retry_number` (1 = the first
    retry): initial × factor^(n-1), never more than maximum."""
    if retry_number < 1:
        return 0.0
    delay = float(initial)
    for _ in range(retry_number - 1):
        if delay >= maximum:
            break
        delay *= factor
    return float(min(delay, maximum))


def is_exhausted(attempts, max_retries):
    """After `attempts` failed attempts, is the event a dead letter?"""
    return attempts >= max_retries + 1


# -------------------------------------------------------------------- events
def idempotency_key(appliance, event_type, orthanc_id, last_update, instance_count):
    """The same stored state of a resource always gives the same key, so a
    receiver can drop a duplicate; new instances (LastUpdate) give a new one."""
    name = "|".join([appliance, event_type, orthanc_id, last_update or "", str(instance_count)])
    return str(uuid.uuid5(KEY_NAMESPACE, name))


def utc_iso(ts):
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc) \
        .isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _study_event(api_get, study_id):
    study = api_get("/studies/%s" % study_id)
    series = api_get("/studies/%s/series" % study_id)
    modalities = sorted({s.get("MainDicomTags", {}).get("Modality", "") for s in series} - {""})
    count = sum(len(s.get("Instances", [])) for s in series)
    return study, modalities, count


def describe(api_get, event_type, resource_id, appliance, when):
    """The event body for a stable study or series, from Orthanc's REST API
    (`api_get(uri)` returns parsed JSON)."""
    if event_type == "study.stable":
        study, modalities, count = _study_event(api_get, resource_id)
        last_update = study.get("LastUpdate", "")
        extra = {}
    elif event_type == "series.stable":
        series = api_get("/series/%s" % resource_id)
        study = api_get("/studies/%s" % series["ParentStudy"])
        modality = series.get("MainDicomTags", {}).get("Modality", "")
        modalities = [modality] if modality else []
        count = len(series.get("Instances", []))
        last_update = series.get("LastUpdate", "")
        extra = {"SeriesInstanceUID": series.get("MainDicomTags", {}).get("SeriesInstanceUID", ""),
                 "orthanc_study_id": series["ParentStudy"]}
    else:
        raise ValueError("unknown event type %s" % event_type)
    tags = study.get("MainDicomTags", {})
    patient = study.get("PatientMainDicomTags", {})
    key = idempotency_key(appliance, event_type, resource_id, last_update, count)
    event = {
        "event": event_type,
        "idempotency_key": key,
        "StudyInstanceUID": tags.get("StudyInstanceUID", ""),
        "orthanc_id": resource_id,
        "PatientID": patient.get("PatientID", ""),
        "AccessionNumber": tags.get("AccessionNumber", ""),
        "modalities": modalities,
        "instance_count": count,
        "appliance": appliance,
        "time": utc_iso(when),
        "orthanc_last_update": last_update,
    }
    event.update(extra)
    return event


# ------------------------------------------------------------------- queues
COUNTERS = ("delivered", "failed_attempts", "dead_lettered", "replayed", "received")


class Item:
    def __init__(self, key, body, attempts, next_at, state="pending", last_error="", created_at=0.0):
        self.key, self.body, self.attempts, self.next_at = key, body, attempts, next_at
        self.state, self.last_error, self.created_at = state, last_error, created_at

    def summary(self):
        try:
            ev = json.loads(self.body)
        except ValueError:
            ev = {}
        return {"idempotency_key": self.key, "event": ev.get("event", ""),
                "StudyInstanceUID": ev.get("StudyInstanceUID", ""),
                "orthanc_id": ev.get("orthanc_id", ""), "attempts": self.attempts,
                "state": self.state, "last_error": self.last_error,
                "created_at": utc_iso(self.created_at) if self.created_at else ""}


class MemoryQueue:
    """Events in memory: lost when Orthanc stops (queue = "memory")."""
    kind = "memory"

    def __init__(self):
        self._lock = threading.Lock()
        self._items = {}  # key -> Item, insertion ordered
        self._counters = dict.fromkeys(COUNTERS, 0)

    def add(self, key, body, now):
        with self._lock:
            if key in self._items:
                return False
            self._items[key] = Item(key, body, 0, now, created_at=now)
            self._counters["received"] += 1
            return True

    def next_due(self, now):
        """(item or None, seconds until the next pending one is due or None)."""
        with self._lock:
            pending = [i for i in self._items.values() if i.state == "pending"]
            if not pending:
                return None, None
            first = min(pending, key=lambda i: i.next_at)
            if first.next_at <= now:
                return Item(first.key, first.body, first.attempts, first.next_at), 0.0
            return None, first.next_at - now

    def delivered(self, key):
        with self._lock:
            if self._items.pop(key, None) is not None:
                self._counters["delivered"] += 1

    def failed(self, key, attempts, next_at, error, dead):
        with self._lock:
            item = self._items.get(key)
            self._counters["failed_attempts"] += 1
            if item is None:
                return
            item.attempts, item.next_at, item.last_error = attempts, next_at, error
            if dead:
                item.state = "dead"
                self._counters["dead_lettered"] += 1

    def replay(self, now, keys=None):
        with self._lock:
            n = 0
            for item in self._items.values():
                if item.state == "dead" and (not keys or item.key in keys):
                    item.state, item.attempts, item.next_at = "pending", 0, now
                    n += 1
            self._counters["replayed"] += n
            return n

    def dead(self):
        with self._lock:
            return [i.summary() for i in self._items.values() if i.state == "dead"]

    def counts(self, now):
        with self._lock:
            pending = [i for i in self._items.values() if i.state == "pending"]
            out = dict(self._counters)
            out["depth"] = len(pending)
            out["dead"] = sum(1 for i in self._items.values() if i.state == "dead")
            out["oldest_pending_seconds"] = round(now - min(i.created_at for i in pending), 1) if pending else 0
            return out

    def close(self):
        pass


class SqliteQueue:
    """Events in SQLite (queue = "persistent"): survive Orthanc restarts. One
    connection behind a lock; WAL, synchronous=FULL (an event is on disk
    before the callback's work is done). Another process (the CLI) may change
    it at any time: every call reads the database afresh."""
    kind = "persistent"

    def __init__(self, folder):
        self.path = os.path.join(folder, DB_NAME)
        self._lock = threading.Lock()
        fresh = not os.path.exists(self.path)
        self._db = sqlite3.connect(self.path, timeout=10, isolation_level=None,
                                   check_same_thread=False)
        if fresh:
            os.chmod(self.path, 0o600)  # events carry patient IDs
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript("""
            CREATE TABLE IF NOT EXISTS events (
              id INTEGER PRIMARY KEY AUTOINCREMENT,
              key TEXT NOT NULL UNIQUE,
              body TEXT NOT NULL,
              state TEXT NOT NULL DEFAULT 'pending',
              attempts INTEGER NOT NULL DEFAULT 0,
              next_at REAL NOT NULL,
              created_at REAL NOT NULL,
              last_error TEXT NOT NULL DEFAULT '');
            CREATE INDEX IF NOT EXISTS events_due ON events (state, next_at);
            CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
        """)

    def _bump(self, name, n=1):
        self._db.execute("INSERT INTO counters(name, value) VALUES (?, ?) "
                         "ON CONFLICT(name) DO UPDATE SET value = value + excluded.value", (name, n))

    def add(self, key, body, now):
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                cur = self._db.execute(
                    "INSERT OR IGNORE INTO events(key, body, next_at, created_at) VALUES (?, ?, ?, ?)",
                    (key, body, now, now))
                if cur.rowcount:
                    self._bump("received")
                self._db.execute("COMMIT")
                return cur.rowcount == 1
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def next_due(self, now):
        with self._lock:
            row = self._db.execute(
                "SELECT key, body, attempts, next_at FROM events WHERE state = 'pending' "
                "ORDER BY next_at, id LIMIT 1").fetchone()
        if row is None:
            return None, None
        if row[3] <= now:
            return Item(row[0], row[1], row[2], row[3]), 0.0
        return None, row[3] - now

    def delivered(self, key):
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                if self._db.execute("DELETE FROM events WHERE key = ?", (key,)).rowcount:
                    self._bump("delivered")
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def failed(self, key, attempts, next_at, error, dead):
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._bump("failed_attempts")
                cur = self._db.execute(
                    "UPDATE events SET attempts = ?, next_at = ?, last_error = ?, state = ? "
                    "WHERE key = ? AND state = 'pending'",
                    (attempts, next_at, error, "dead" if dead else "pending", key))
                if dead and cur.rowcount:
                    self._bump("dead_lettered")
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def replay(self, now, keys=None):
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                if keys:
                    n = 0
                    for k in keys:
                        n += self._db.execute(
                            "UPDATE events SET state = 'pending', attempts = 0, next_at = ? "
                            "WHERE state = 'dead' AND key = ?", (now, k)).rowcount
                else:
                    n = self._db.execute(
                        "UPDATE events SET state = 'pending', attempts = 0, next_at = ? "
                        "WHERE state = 'dead'", (now,)).rowcount
                self._bump("replayed", n)
                self._db.execute("COMMIT")
                return n
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def dead(self):
        with self._lock:
            rows = self._db.execute(
                "SELECT key, body, attempts, next_at, state, last_error, created_at FROM events "
                "WHERE state = 'dead' ORDER BY id").fetchall()
        return [Item(*r).summary() for r in rows]

    def counts(self, now):
        with self._lock:
            out = dict.fromkeys(COUNTERS, 0)
            out.update(dict(self._db.execute("SELECT name, value FROM counters").fetchall()))
            depth, oldest = self._db.execute(
                "SELECT count(*), min(created_at) FROM events WHERE state = 'pending'").fetchone()
            out["depth"] = depth
            out["dead"] = self._db.execute(
                "SELECT count(*) FROM events WHERE state = 'dead'").fetchone()[0]
            out["oldest_pending_seconds"] = round(now - oldest, 1) if oldest else 0
            return out

    def close(self):
        with self._lock:
            self._db.close()


def open_queue(kind, folder):
    os.makedirs(folder, mode=0o755, exist_ok=True)
    return SqliteQueue(folder) if kind == "persistent" else MemoryQueue()


def write_json_atomically(path, data):
    """temp file + fsync + rename: a reader sees the old or the new file."""
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2, sort_keys=True)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.chmod(tmp, 0o644)  # counts only: the status page reads it
    os.replace(tmp, path)


# ----------------------------------------------------------------- delivery
class DeliveryError(Exception):
    pass


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # a redirect is a failed attempt (urllib would turn the POST into a GET)


_opener = urllib.request.build_opener(_NoRedirect)


def http_post(url, body, headers, timeout=HTTP_TIMEOUT):
    """POST; returns the HTTP status, raises DeliveryError on a transport
    failure or a status outside 2xx (message: status and a short reason)."""
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _opener.open(req, timeout=timeout) as resp:
            resp.read(65536)
            return resp.status
    except urllib.error.HTTPError as e:
        snippet = ""
        try:
            snippet = e.read(200).decode("utf-8", "replace").strip().replace("\n", " ")
        except Exception:  # noqa: BLE001 - only for the message
            pass
        raise DeliveryError("HTTP %d%s" % (e.code, (": " + snippet[:120]) if snippet else ""))
    except urllib.error.URLError as e:
        raise DeliveryError("cannot reach %s: %s" % (redact_url(url), e.reason))
    except (OSError, ValueError) as e:  # timeouts, resets, bad URL
        raise DeliveryError("cannot reach %s: %s" % (redact_url(url), e))


class Forwarder:
    """The intake thread turns Orthanc changes into stored events; the
    delivery thread sends due events one at a time, oldest due first."""

    def __init__(self, settings, queue, api_get=None, sender=http_post, clock=time.time):
        self.settings, self.queue, self.api_get = settings, queue, api_get
        self.sender, self.clock = sender, clock
        self.intake = queue_module.Queue(maxsize=100000)
        self.stop_event = threading.Event()
        self.wake = threading.Event()
        self.threads = []
        self.last_error = ""
        self.last_delivery_at = 0.0
        self.dropped = 0
        self._stats_lock = threading.Lock()
        self._last_stats_write = 0.0

    # -- called from Orthanc's callback: must never block or raise
    def on_change(self, event_type, resource_id):
        try:
            self.intake.put_nowait((event_type, resource_id, self.clock()))
        except queue_module.Full:
            self.dropped += 1
            log.error("webhook: intake full, the %s event for %s was dropped", event_type, resource_id)

    def start(self):
        for name, target in (("radflare-webhook-intake", self._intake_loop),
                             ("radflare-webhook-delivery", self._delivery_loop)):
            t = threading.Thread(target=target, name=name, daemon=True)
            t.start()
            self.threads.append(t)

    def stop(self, timeout=3.0):
        self.stop_event.set()
        self.wake.set()
        self.intake.put(None)
        for t in self.threads:
            t.join(timeout)
        self.write_stats()

    def _intake_loop(self):
        while not self.stop_event.is_set():
            try:
                item = self.intake.get(timeout=POLL_SECONDS)
            except queue_module.Empty:
                continue
            if item is None:
                return
            try:
                self.accept(*item)
            except Exception as e:  # noqa: BLE001 - keep the thread alive
                log.error("webhook: could not queue the %s event for %s: %s",
                          item[0], item[1], self.redact(str(e)))

    def accept(self, event_type, resource_id, when):
        """Describe a stable resource and store its event (intake thread)."""
        if not self.settings.appliance and self.api_get is not None:
            try:
                self.settings.appliance = self.api_get("/system").get("Name", "")
            except Exception:  # noqa: BLE001
                pass
        event = describe(self.api_get, event_type, resource_id, self.settings.appliance, when)
        body = json.dumps(event, sort_keys=True)
        if self.queue.add(event["idempotency_key"], body, self.clock()):
            log.info("webhook: queued %s %s (study %s, %d instances), key %s", event_type,
                     resource_id, event["StudyInstanceUID"], event["instance_count"],
                     event["idempotency_key"])
        else:
            log.info("webhook: %s %s is already queued (key %s)", event_type, resource_id,
                     event["idempotency_key"])
        self.write_stats()
        self.wake.set()

    def _delivery_loop(self):
        while not self.stop_event.is_set():
            wait = POLL_SECONDS
            try:
                self._check_replay_request()
                if self.settings.deliver:
                    item, until = self.queue.next_due(self.clock())
                    if item is not None:
                        self.deliver(item)
                        continue
                    if until is not None:
                        wait = min(wait, max(until, 0.01))
                if self.clock() - self._last_stats_write >= STATS_HEARTBEAT:
                    self.write_stats()
            except Exception as e:  # noqa: BLE001 - keep the thread alive
                log.error("webhook: delivery loop: %s", self.redact(str(e)))
                wait = 5.0
            self.wake.wait(wait)
            self.wake.clear()

    def headers(self, key):
        h = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
             IDEMPOTENCY_HEADER: key}
        if self.settings.api_key:
            h[API_KEY_HEADER] = self.settings.api_key
        return h

    def deliver(self, item):
        s = self.settings
        attempt = item.attempts + 1
        try:
            status = self.sender(s.url, item.body.encode("utf-8"), self.headers(item.key))
        except Exception as e:  # noqa: BLE001 - DeliveryError and anything unexpected
            error = self.redact(str(e))[:300]
            self.last_error = error
            now = self.clock()
            dead = is_exhausted(attempt, s.max_retries)
            delay = 0.0 if dead else retry_delay(attempt, s.initial_delay, s.backoff_factor, s.max_delay)
            self.queue.failed(item.key, attempt, now + delay, error, dead)
            if dead:
                log.error("webhook: event %s failed %d time(s), the last with %s; dead-lettered "
                          "(replay: radflare webhook replay)", item.key, attempt, error)
            else:
                log.warning("webhook: event %s attempt %d of %d failed: %s; next try in %g s",
                            item.key, attempt, s.max_retries + 1, error, delay)
        else:
            self.queue.delivered(item.key)
            self.last_delivery_at = self.clock()
            log.info("webhook: event %s delivered (HTTP %d, attempt %d)", item.key, status, attempt)
        self.write_stats()

    def _check_replay_request(self):
        if self.queue.kind != "memory":
            return
        path = os.path.join(self.settings.queue_path, REPLAY_REQUEST_NAME)
        if os.path.exists(path):
            try:
                os.unlink(path)
            except OSError as e:
                log.error("webhook: cannot remove %s: %s", path, e)
                return
            self.replay()

    def replay(self, keys=None):
        n = self.queue.replay(self.clock(), keys)
        log.warning("webhook: %d dead-lettered event(s) queued again", n)
        self.write_stats()
        self.wake.set()
        return n

    def stats(self):
        out = self.queue.counts(self.clock())
        out.update({
            "queue_type": self.queue.kind,
            "delivering": self.settings.deliver,
            "last_error": self.last_error,
            "last_delivery_at": utc_iso(self.last_delivery_at) if self.last_delivery_at else "",
            "intake_backlog": self.intake.qsize(),
            "intake_dropped": self.dropped,
            "settings": self.settings.public(),
            "settings_problems": list(self.settings.problems),
            "updated_at": utc_iso(self.clock()),
            "pid": os.getpid(),
        })
        return out

    def write_stats(self):
        with self._stats_lock:
            try:
                write_json_atomically(os.path.join(self.settings.queue_path, STATS_NAME), self.stats())
                self._last_stats_write = self.clock()
            except Exception as e:  # noqa: BLE001 - stats are best effort
                if self.clock() - self._last_stats_write > 60:
                    log.warning("webhook: cannot write %s: %s", STATS_NAME, e)
                    self._last_stats_write = self.clock()

    def redact(self, text):
        return redact(text, self.settings.api_key)


def redact(text, secret):
    if secret and len(secret) >= 1:
        text = text.replace(secret, "***")
    return text


# ------------------------------------------------------------ Orthanc glue
class _RedactFilter(logging.Filter):
    def __init__(self, secret):
        super().__init__()
        self.secret = secret

    def filter(self, record):
        if self.secret:
            msg = record.getMessage()
            if self.secret in msg:
                record.msg, record.args = msg.replace(self.secret, "***"), None
        return True


class _OrthancLogHandler(logging.Handler):
    def emit(self, record):
        try:
            msg = self.format(record)
            if record.levelno >= logging.ERROR:
                orthanc.LogError(msg)
            elif record.levelno >= logging.WARNING:
                orthanc.LogWarning(msg)
            else:
                orthanc.LogInfo(msg)
        except Exception:  # noqa: BLE001 - logging must never raise into Orthanc
            pass


def _setup_logging(settings):
    log.setLevel(logging.INFO)
    log.propagate = False
    log.addFilter(_RedactFilter(settings.api_key))
    h = _OrthancLogHandler()
    h.setFormatter(logging.Formatter("%(message)s"))
    log.addHandler(h)
    try:
        os.makedirs(settings.log_dir, mode=0o750, exist_ok=True)
        fh = logging.handlers.RotatingFileHandler(
            os.path.join(settings.log_dir, "webhook_forwarder.log"),
            maxBytes=5 * 1024 * 1024, backupCount=3, encoding="utf-8")
        fh.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        log.addHandler(fh)
    except OSError as e:
        log.warning("webhook: no log file under %s (%s); logging to Orthanc's log only",
                    settings.log_dir, e)


_forwarder = None


def _orthanc_get(uri):
    return json.loads(orthanc.RestApiGet(uri))


def _on_change(change_type, level, resource_id):
    try:
        f = _forwarder
        if f is None:
            return
        if change_type == orthanc.ChangeType.STABLE_STUDY:
            f.on_change("study.stable", resource_id)
        elif change_type == orthanc.ChangeType.STABLE_SERIES and f.settings.stable_series:
            f.on_change("series.stable", resource_id)
        elif change_type == orthanc.ChangeType.ORTHANC_STOPPED:
            f.stop()
    except Exception:  # noqa: BLE001 - never into Orthanc
        pass


def _rest_stats(output, uri, **request):
    try:
        if request.get("method") != "GET":
            output.SendMethodNotAllowed("GET")
            return
        output.AnswerBuffer(json.dumps(_forwarder.stats(), indent=2), "application/json")
    except Exception as e:  # noqa: BLE001
        log.error("webhook: stats route: %s", e)
        output.AnswerBuffer(json.dumps({"error": "internal error"}), "application/json")


def _rest_dead(output, uri, **request):
    try:
        if request.get("method") != "GET":
            output.SendMethodNotAllowed("GET")
            return
        output.AnswerBuffer(json.dumps(_forwarder.queue.dead(), indent=2), "application/json")
    except Exception as e:  # noqa: BLE001
        log.error("webhook: dead-letter route: %s", e)
        output.AnswerBuffer(json.dumps({"error": "internal error"}), "application/json")


def _rest_replay(output, uri, **request):
    try:
        if request.get("method") != "POST":
            output.SendMethodNotAllowed("POST")
            return
        keys = None
        body = request.get("body") or b""
        if body.strip():
            keys = json.loads(body).get("keys") or None
        n = _forwarder.replay(keys)
        output.AnswerBuffer(json.dumps({"replayed": n}), "application/json")
    except Exception as e:  # noqa: BLE001
        log.error("webhook: replay route: %s", e)
        output.AnswerBuffer(json.dumps({"error": "replay failed; see Orthanc's log"}), "application/json")


def plugin_main(env=None):
    """Entry point inside Orthanc. Logs every problem, raises nothing."""
    global _forwarder
    try:
        settings = load_settings(os.environ if env is None else env)
        _setup_logging(settings)
        for problem in settings.problems:
            log.error("webhook: setting problem: %s", problem)
        try:
            q = open_queue(settings.queue_type, settings.queue_path)
        except Exception as e:  # noqa: BLE001
            log.error("webhook: cannot open the %s queue under %s (%s); using a memory queue: "
                      "events are lost if Orthanc stops", settings.queue_type, settings.queue_path, e)
            q = MemoryQueue()
        _forwarder = Forwarder(settings, q, api_get=_orthanc_get)
        orthanc.RegisterOnChangeCallback(_on_change)
        orthanc.RegisterRestCallback("/radflare/webhook/stats", _rest_stats)
        orthanc.RegisterRestCallback("/radflare/webhook/dead", _rest_dead)
        orthanc.RegisterRestCallback("/radflare/webhook/replay", _rest_replay)
        _forwarder.start()
        _forwarder.write_stats()
        counts = q.counts(time.time())
        log.warning("webhook: forwarding stable studies%s to %s (%s queue at %s, %d pending, "
                    "%d dead letters; max %d retries, %g s x%g up to %g s)",
                    " and series" if settings.stable_series else "", redact_url(settings.url),
                    q.kind, settings.queue_path, counts["depth"], counts["dead"],
                    settings.max_retries, settings.initial_delay, settings.backoff_factor,
                    settings.max_delay)
    except Exception as e:  # noqa: BLE001 - Orthanc must keep running
        try:
            log.error("webhook: the forwarder is off: %s", e)
        except Exception:  # noqa: BLE001
            pass


# ------------------------------------------------------------- command line
def _drop_privileges(folder):
    """Run as the queue folder's owner (orthanc), so files SQLite creates stay
    readable by Orthanc."""
    if os.geteuid() != 0:
        return
    st = os.stat(folder)
    if st.st_uid == 0:
        return
    os.setgroups([])
    os.setgid(st.st_gid)
    os.setuid(st.st_uid)


def cli(argv):
    env = os.environ
    ap = argparse.ArgumentParser(prog="radflare webhook",
                                 description="Radflare webhook queue: counts, dead letters, replay.")
    ap.add_argument("command", choices=("stats", "list-dead", "replay"))
    ap.add_argument("--queue", default=env.get("ORTHANC_PLUGIN_PERSISTENT_QUEUE_PATH") or "/var/lib/orthanc/queue",
                    help="the queue folder (webhook.queue_path)")
    ap.add_argument("--queue-type", choices=("persistent", "memory"),
                    default=env.get("ORTHANC_PLUGIN_QUEUE_TYPE") or "persistent")
    ap.add_argument("--key", action="append", help="replay only this idempotency key (repeatable)")
    a = ap.parse_args(argv)

    if not os.path.isdir(a.queue):
        print("radflare webhook: no queue folder %s (has the forwarder run yet?)" % a.queue,
              file=sys.stderr)
        return 1
    _drop_privileges(a.queue)
    stats_path = os.path.join(a.queue, STATS_NAME)
    db_path = os.path.join(a.queue, DB_NAME)

    if a.queue_type == "memory":
        if a.command == "replay":
            if a.key:
                print("radflare webhook: --key needs the persistent queue; the memory queue replays all",
                      file=sys.stderr)
                return 2
            with open(os.path.join(a.queue, REPLAY_REQUEST_NAME), "w"):
                pass
            print("replay requested: Orthanc queues its dead letters again within a second "
                  "(see stats)")
            return 0
        try:
            with open(stats_path, encoding="utf-8") as f:
                stats = json.load(f)
        except (OSError, ValueError) as e:
            print("radflare webhook: cannot read %s: %s" % (stats_path, e), file=sys.stderr)
            return 1
        if a.command == "stats":
            print(json.dumps(stats, indent=2, sort_keys=True))
            return 0
        print("radflare webhook: the memory queue's dead letters live inside Orthanc: "
              "GET /radflare/webhook/dead", file=sys.stderr)
        return 1

    if not os.path.exists(db_path):
        print("radflare webhook: no queue database %s (has the forwarder run yet?)" % db_path,
              file=sys.stderr)
        return 1
    q = SqliteQueue(a.queue)
    try:
        if a.command == "stats":
            out = q.counts(time.time())
            out["queue_type"] = "persistent"
            try:
                with open(stats_path, encoding="utf-8") as f:
                    live = json.load(f)
                out["plugin"] = {k: live.get(k) for k in ("updated_at", "last_error", "last_delivery_at",
                                                          "delivering", "settings_problems", "pid")}
            except (OSError, ValueError):
                out["plugin"] = None
            print(json.dumps(out, indent=2, sort_keys=True))
        elif a.command == "list-dead":
            print(json.dumps(q.dead(), indent=2))
        else:
            n = q.replay(time.time(), a.key)
            print("%d dead-lettered event(s) queued again; Orthanc's forwarder sends them within a second"
                  % n)
    finally:
        q.close()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(cli(sys.argv[1:]))
    except BrokenPipeError:  # `... | head`
        sys.exit(1)
elif orthanc is not None:
    plugin_main()
