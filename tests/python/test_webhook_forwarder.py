"""Unit tests of plugins/webhook_forwarder.py's pure logic: settings, backoff,
idempotency keys, event bodies, both queues, the delivery state machine and
the command line. No Orthanc, no network.

  /usr/bin/python3 -m unittest discover -s tests/python -v
"""
import io
import json
import os
import sys
import tempfile
import threading
import unittest
from contextlib import redirect_stderr, redirect_stdout

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "plugins"))
import webhook_forwarder as wf  # noqa: E402

wf.log.addHandler(wf.logging.NullHandler())  # quiet: assertLogs still sees records


class FakeClock:
    def __init__(self, t=1000.0):
        self.t = t

    def __call__(self):
        return self.t


def study_api(calls=None):
    data = {
        "/system": {"Name": "from-system"},
        "/studies/st1": {"ID": "st1", "LastUpdate": "20250101T101010",
                         "MainDicomTags": {"StudyInstanceUID": "1.2.3", "AccessionNumber": "A7"},
                         "PatientMainDicomTags": {"PatientID": "P1"}},
        "/studies/st1/series": [
            {"ID": "se1", "MainDicomTags": {"Modality": "CT"}, "Instances": ["i1", "i2"]},
            {"ID": "se2", "MainDicomTags": {"Modality": "SR"}, "Instances": ["i3"]},
            {"ID": "se3", "MainDicomTags": {"Modality": "CT"}, "Instances": []},
        ],
        "/series/se1": {"ID": "se1", "ParentStudy": "st1", "LastUpdate": "20250101T101009",
                        "MainDicomTags": {"Modality": "CT", "SeriesInstanceUID": "1.2.3.4"},
                        "Instances": ["i1", "i2"]},
    }

    def get(uri):
        if calls is not None:
            calls.append(uri)
        if uri not in data:
            raise RuntimeError("404 " + uri)
        return data[uri]
    return get


def settings(**kw):
    env = {"ORTHANC_PLUGIN_RADFLARE_API_URL": "http://127.0.0.1:9/hook",
           "ORTHANC_PLUGIN_API_KEY": "sekrit-key-123",
           "ORTHANC_PLUGIN_QUEUE_TYPE": "memory",
           "ORTHANC_PLUGIN_MAX_RETRIES": "3",
           "ORTHANC_PLUGIN_INITIAL_RETRY_DELAY": "1",
           "ORTHANC_PLUGIN_MAX_RETRY_DELAY": "8",
           "ORTHANC_PLUGIN_RETRY_BACKOFF_FACTOR": "2",
           "ORTHANC_PLUGIN_APPLIANCE_NAME": "rad-1"}
    env.update(kw)
    return wf.load_settings(env)


class SettingsTest(unittest.TestCase):
    def test_seed_values(self):
        s = wf.load_settings({
            "ORTHANC_PLUGIN_RADFLARE_API_URL": "https://your-host/api/v1/webhooks/orthanc",
            "ORTHANC_PLUGIN_API_KEY": "your-secret",
            "ORTHANC_PLUGIN_QUEUE_TYPE": "persistent",
            "ORTHANC_PLUGIN_PERSISTENT_QUEUE_PATH": "/var/lib/orthanc/queue",
            "ORTHANC_PLUGIN_MAX_RETRIES": "1",
            "ORTHANC_PLUGIN_INITIAL_RETRY_DELAY": "20",
            "ORTHANC_PLUGIN_MAX_RETRY_DELAY": "60",
            "ORTHANC_PLUGIN_RETRY_BACKOFF_FACTOR": "2"})
        self.assertEqual(s.problems, [])
        self.assertTrue(s.deliver)
        self.assertEqual((s.max_retries, s.initial_delay, s.max_delay, s.backoff_factor), (1, 20, 60, 2))
        self.assertEqual(s.queue_type, "persistent")
        self.assertEqual(s.log_dir, "/var/lib/orthanc/plugin-logs")
        self.assertFalse(s.stable_series)

    def test_bad_numbers_fall_back_and_are_named(self):
        s = settings(ORTHANC_PLUGIN_MAX_RETRIES="many", ORTHANC_PLUGIN_RETRY_BACKOFF_FACTOR="0.5",
                     ORTHANC_PLUGIN_INITIAL_RETRY_DELAY="-3", ORTHANC_PLUGIN_MAX_RETRY_DELAY="nan")
        self.assertEqual((s.max_retries, s.initial_delay, s.max_delay, s.backoff_factor), (1, 20, 60, 2))
        text = "\n".join(s.problems)
        for name in ("MAX_RETRIES", "RETRY_BACKOFF_FACTOR", "INITIAL_RETRY_DELAY", "MAX_RETRY_DELAY"):
            self.assertIn("ORTHANC_PLUGIN_" + name, text)
        self.assertTrue(s.deliver)

    def test_bad_url_queues_without_sending(self):
        for url in ("", "ftp://x/y", "not a url", "http://"):
            s = settings(ORTHANC_PLUGIN_RADFLARE_API_URL=url)
            self.assertFalse(s.deliver, url)
            self.assertTrue(any("ORTHANC_PLUGIN_RADFLARE_API_URL" in p for p in s.problems))

    def test_missing_key_is_reported_without_any_key(self):
        s = settings(ORTHANC_PLUGIN_API_KEY="")
        self.assertTrue(any("ORTHANC_PLUGIN_API_KEY is empty" in p for p in s.problems))
        s = settings(ORTHANC_PLUGIN_API_KEY=" sekrit-key-123\n")
        self.assertEqual(s.api_key, "sekrit-key-123")
        self.assertNotIn("sekrit", "\n".join(s.problems))
        self.assertNotIn("sekrit", json.dumps(s.public()))

    def test_url_credentials_never_shown(self):
        s = settings(ORTHANC_PLUGIN_RADFLARE_API_URL="https://u:pw@app.example.com:8443/hook?token=t")
        self.assertEqual(s.public()["url"], "https://app.example.com:8443/hook")

    def test_log_dir_never_under_etc(self):
        self.assertEqual(settings(ORTHANC_PLUGIN_LOG_DIR="/etc/orthanc/logs").log_dir, wf.DEFAULT_LOG_DIR)
        self.assertEqual(settings(ORTHANC_PLUGIN_LOG_DIR="/srv/logs").log_dir, "/srv/logs")

    def test_flags_and_bad_queue_type(self):
        self.assertTrue(settings(ORTHANC_PLUGIN_STABLE_SERIES="true").stable_series)
        s = settings(ORTHANC_PLUGIN_QUEUE_TYPE="redis")
        self.assertEqual(s.queue_type, "persistent")
        self.assertTrue(s.problems)


class BackoffTest(unittest.TestCase):
    def test_sequence(self):
        self.assertEqual([wf.retry_delay(n, 1, 2, 8) for n in range(1, 7)], [1, 2, 4, 8, 8, 8])
        self.assertEqual([wf.retry_delay(n, 20, 2, 60) for n in range(1, 4)], [20, 40, 60])
        self.assertEqual([wf.retry_delay(n, 10, 2.5, 600) for n in range(1, 4)], [10, 25, 62.5])
        self.assertEqual(wf.retry_delay(0, 1, 2, 8), 0)

    def test_no_overflow(self):
        self.assertEqual(wf.retry_delay(1000, 86400, 100, 604800), 604800)

    def test_exhausted(self):
        self.assertFalse(wf.is_exhausted(1, 1))
        self.assertTrue(wf.is_exhausted(2, 1))
        self.assertTrue(wf.is_exhausted(1, 0))


class EventTest(unittest.TestCase):
    def test_study_event(self):
        ev = wf.describe(study_api(), "study.stable", "st1", "rad-1", 0)
        self.assertEqual(ev["event"], "study.stable")
        self.assertEqual(ev["StudyInstanceUID"], "1.2.3")
        self.assertEqual(ev["orthanc_id"], "st1")
        self.assertEqual(ev["PatientID"], "P1")
        self.assertEqual(ev["modalities"], ["CT", "SR"])
        self.assertEqual(ev["instance_count"], 3)
        self.assertEqual(ev["appliance"], "rad-1")
        self.assertEqual(ev["time"], "1970-01-01T00:00:00.000Z")
        self.assertEqual(ev["idempotency_key"], wf.describe(study_api(), "study.stable", "st1", "rad-1", 5)
                         ["idempotency_key"])  # same stored state, same key

    def test_series_event(self):
        ev = wf.describe(study_api(), "series.stable", "se1", "rad-1", 0)
        self.assertEqual(ev["SeriesInstanceUID"], "1.2.3.4")
        self.assertEqual(ev["StudyInstanceUID"], "1.2.3")
        self.assertEqual(ev["instance_count"], 2)
        self.assertEqual(ev["modalities"], ["CT"])
        self.assertNotEqual(ev["idempotency_key"],
                            wf.describe(study_api(), "study.stable", "st1", "rad-1", 0)["idempotency_key"])

    def test_keys_change_with_state(self):
        a = wf.idempotency_key("r", "study.stable", "st1", "20250101T101010", 3)
        self.assertNotEqual(a, wf.idempotency_key("r", "study.stable", "st1", "20250101T101011", 3))
        self.assertNotEqual(a, wf.idempotency_key("r", "study.stable", "st1", "20250101T101010", 4))
        self.assertNotEqual(a, wf.idempotency_key("r2", "study.stable", "st1", "20250101T101010", 3))


class QueueContract:
    """Runs against both queues."""

    def make(self):
        raise NotImplementedError

    def test_lifecycle(self):
        q = self.make()
        self.assertTrue(q.add("k1", "{}", 10))
        self.assertFalse(q.add("k1", "{}", 11))  # duplicate key
        self.assertTrue(q.add("k2", "{}", 12))
        item, _ = q.next_due(20)
        self.assertEqual(item.key, "k1")
        q.failed("k1", 1, 30, "HTTP 503", False)
        item, _ = q.next_due(20)
        self.assertEqual(item.key, "k2")
        q.delivered("k2")
        item, wait = q.next_due(20)
        self.assertIsNone(item)
        self.assertAlmostEqual(wait, 10)
        item, _ = q.next_due(30)
        self.assertEqual((item.key, item.attempts), ("k1", 1))
        q.failed("k1", 2, 30, "HTTP 503", True)
        self.assertEqual(q.next_due(100), (None, None))
        c = q.counts(40)
        self.assertEqual((c["depth"], c["dead"], c["delivered"], c["failed_attempts"], c["dead_lettered"]),
                         (0, 1, 1, 2, 1))
        dead = q.dead()
        self.assertEqual([(d["idempotency_key"], d["attempts"], d["last_error"]) for d in dead],
                         [("k1", 2, "HTTP 503")])
        self.assertEqual(q.replay(50), 1)
        self.assertEqual(q.replay(50), 0)
        item, _ = q.next_due(50)
        self.assertEqual((item.key, item.attempts), ("k1", 0))
        c = q.counts(50)
        self.assertEqual((c["depth"], c["dead"], c["replayed"]), (1, 0, 1))
        q.close()


class MemoryQueueTest(QueueContract, unittest.TestCase):
    def make(self):
        return wf.MemoryQueue()


class SqliteQueueTest(QueueContract, unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.tmp.cleanup()

    def make(self):
        return wf.open_queue("persistent", self.tmp.name)

    def test_survives_reopen_and_is_private(self):
        q = self.make()
        q.add("k1", '{"a": 1}', 10)
        q.failed("k1", 1, 11, "x", False)
        q.close()
        self.assertEqual(os.stat(os.path.join(self.tmp.name, wf.DB_NAME)).st_mode & 0o777, 0o600)
        q = self.make()
        item, _ = q.next_due(12)
        self.assertEqual((item.key, item.body, item.attempts), ("k1", '{"a": 1}', 1))
        self.assertEqual(q.counts(12)["failed_attempts"], 1)
        q.close()

    def test_replay_selected_keys(self):
        q = self.make()
        for k in ("a", "b"):
            q.add(k, "{}", 1)
            q.failed(k, 1, 1, "x", True)
        self.assertEqual(q.replay(2, ["b", "zz"]), 1)
        self.assertEqual([d["idempotency_key"] for d in q.dead()], ["a"])
        q.close()


class ForwarderTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.clock = FakeClock()
        self.sent = []
        self.fail = True

    def tearDown(self):
        self.tmp.cleanup()

    def sender(self, url, body, headers):
        self.sent.append((self.clock(), url, json.loads(body), dict(headers)))
        if self.fail:
            raise wf.DeliveryError("HTTP 503: echo sekrit-key-123")
        return 200

    def forwarder(self, **kw):
        s = settings(ORTHANC_PLUGIN_PERSISTENT_QUEUE_PATH=self.tmp.name, **kw)
        return wf.Forwarder(s, wf.open_queue(s.queue_type, s.queue_path), api_get=study_api(),
                            sender=self.sender, clock=self.clock)

    def run_due(self, f):
        item, wait = f.queue.next_due(self.clock())
        if item is not None:
            f.deliver(item)
        return wait

    def test_backoff_then_dead_letter_then_replay(self):
        f = self.forwarder()  # 3 retries, 1 s x2 up to 8 s
        f.accept("study.stable", "st1", self.clock())
        for _ in range(40):  # 20 s in half-second steps
            self.run_due(f)
            self.clock.t += 0.5
        attempts = [t for t, *_ in self.sent]
        self.assertEqual([b - a for a, b in zip(attempts, attempts[1:])], [1, 2, 4])
        stats = f.stats()
        self.assertEqual((stats["depth"], stats["dead"], stats["failed_attempts"], stats["dead_lettered"]),
                         (0, 1, 4, 1))
        self.assertNotIn("sekrit-key-123", json.dumps(stats))
        self.assertIn("***", stats["last_error"])
        # every attempt: the key header, the idempotency header, the same key
        keys = {h["Idempotency-Key"] for _, _, _, h in self.sent}
        self.assertEqual(len(keys), 1)
        self.assertTrue(all(h["X-API-Key"] == "sekrit-key-123" for _, _, _, h in self.sent))
        body = self.sent[0][2]
        self.assertEqual(body["idempotency_key"], keys.pop())
        self.assertEqual(body["appliance"], "rad-1")

        self.fail = False
        self.assertEqual(f.replay(), 1)
        self.run_due(f)
        stats = f.stats()
        self.assertEqual((stats["depth"], stats["dead"], stats["delivered"], stats["replayed"]), (0, 0, 1, 1))
        f.write_stats()
        with open(os.path.join(self.tmp.name, "stats.json")) as fh:
            self.assertEqual(json.load(fh)["delivered"], 1)

    def test_no_key_no_header(self):
        f = self.forwarder(ORTHANC_PLUGIN_API_KEY="")
        self.fail = False
        f.accept("study.stable", "st1", self.clock())
        self.run_due(f)
        self.assertNotIn("X-API-Key", self.sent[0][3])

    def test_zero_retries(self):
        f = self.forwarder(ORTHANC_PLUGIN_MAX_RETRIES="0")
        f.accept("study.stable", "st1", self.clock())
        self.run_due(f)
        self.assertEqual(f.stats()["dead"], 1)

    def test_on_change_never_blocks_or_raises(self):
        f = self.forwarder()
        f.intake = wf.queue_module.Queue(maxsize=1)
        f.on_change("study.stable", "st1")
        f.on_change("study.stable", "st2")  # full: dropped, counted, no exception
        self.assertEqual(f.dropped, 1)

    def test_threads_deliver_and_stop(self):
        self.fail = False
        s = settings(ORTHANC_PLUGIN_PERSISTENT_QUEUE_PATH=self.tmp.name)
        done = threading.Event()

        def sender(url, body, headers):
            done.set()
            return 204
        f = wf.Forwarder(s, wf.open_queue("persistent", self.tmp.name), api_get=study_api(), sender=sender)
        f.start()
        f.on_change("study.stable", "st1")
        self.assertTrue(done.wait(5))
        f.stop()
        self.assertFalse(any(t.is_alive() for t in f.threads))
        with open(os.path.join(self.tmp.name, "stats.json")) as fh:
            self.assertEqual(json.load(fh)["delivered"], 1)

    def test_describe_failure_is_logged_not_raised(self):
        f = self.forwarder()
        f.intake.put(("study.stable", "missing", 0))
        f.intake.put(None)
        with self.assertLogs("radflare.webhook", "ERROR") as cm:
            f._intake_loop()
        self.assertIn("could not queue", cm.output[0])


class RedactTest(unittest.TestCase):
    def test_filter(self):
        logger = wf.logging.getLogger("radflare.webhook.redact-test")
        logger.addFilter(wf._RedactFilter("sekrit"))
        with self.assertLogs(logger, "WARNING") as cm:
            logger.warning("value %s here", "xsekritx")
        self.assertEqual(cm.records[0].getMessage(), "value x***x here")


class CliTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.tmp.cleanup()

    def run_cli(self, *argv):
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            rc = wf.cli(list(argv))
        return rc, out.getvalue(), err.getvalue()

    def test_persistent(self):
        q = wf.open_queue("persistent", self.tmp.name)
        q.add("k1", json.dumps({"event": "study.stable", "StudyInstanceUID": "1.2"}), 1)
        q.failed("k1", 2, 1, "HTTP 503", True)
        q.close()
        rc, out, _ = self.run_cli("stats", "--queue", self.tmp.name)
        self.assertEqual(rc, 0)
        self.assertEqual(json.loads(out)["dead"], 1)
        rc, out, _ = self.run_cli("list-dead", "--queue", self.tmp.name)
        self.assertEqual(json.loads(out)[0]["StudyInstanceUID"], "1.2")
        rc, out, _ = self.run_cli("replay", "--queue", self.tmp.name)
        self.assertEqual(rc, 0)
        self.assertIn("1 dead-lettered", out)
        rc, out, _ = self.run_cli("stats", "--queue", self.tmp.name)
        self.assertEqual((json.loads(out)["dead"], json.loads(out)["depth"]), (0, 1))

    def test_missing_queue(self):
        rc, _, err = self.run_cli("stats", "--queue", os.path.join(self.tmp.name, "nope"))
        self.assertEqual(rc, 1)
        self.assertIn("no queue folder", err)

    def test_memory_replay_request(self):
        rc, out, _ = self.run_cli("replay", "--queue", self.tmp.name, "--queue-type", "memory")
        self.assertEqual(rc, 0)
        self.assertTrue(os.path.exists(os.path.join(self.tmp.name, wf.REPLAY_REQUEST_NAME)))
        s = settings(ORTHANC_PLUGIN_PERSISTENT_QUEUE_PATH=self.tmp.name)
        f = wf.Forwarder(s, wf.MemoryQueue(), api_get=study_api(), sender=lambda *a: 200)
        f.queue.add("k", "{}", 0)
        f.queue.failed("k", 1, 0, "x", True)
        f._check_replay_request()
        self.assertFalse(os.path.exists(os.path.join(self.tmp.name, wf.REPLAY_REQUEST_NAME)))
        self.assertEqual(f.stats()["depth"], 1)


if __name__ == "__main__":
    unittest.main()
