#include "status/verdict.h"

#include <doctest/doctest.h>

using namespace radflare;
using nlohmann::json;

namespace {
// A healthy appliance, as report.cc assembles it.
json healthy() {
  return json::parse(R"({
    "units": [
      {"unit": "postgresql@15-main.service", "active_state": "active", "sub_state": "running", "expected": true},
      {"unit": "radflare-db-setup.service", "active_state": "active", "sub_state": "exited", "expected": true},
      {"unit": "orthanc.service", "active_state": "active", "sub_state": "running", "expected": true},
      {"unit": "nginx.service", "active_state": "active", "sub_state": "running", "expected": true}],
    "orthanc": {"ok": true, "error": "", "age_seconds": 2, "dicomweb": {"enabled": true, "ok": true, "detail": "200"}},
    "postgresql": {"used": true, "ok": true, "error": "", "age_seconds": 1, "latency_ms": 0.4},
    "host": {"age_seconds": 3, "memory": {"total_bytes": 4000, "available_bytes": 2000},
             "disks": [{"path": "/var/lib/orthanc/db", "purpose": "DICOM files", "free_percent": 60}]},
    "tls": {"mode": "off"},
    "config": {"ok": true, "outcome": "applied", "summary": "applied"},
    "admin": {"last_error": ""},
    "webhook": null
  })");
}
bool has_reason(const Verdict& v, Level l, const std::string& component, const std::string& part = "") {
  for (const auto& r : v.reasons)
    if (r.level == l && r.component == component && r.message.find(part) != std::string::npos) return true;
  return false;
}
}  // namespace

TEST_CASE("status verdict: a healthy appliance is green with no reason") {
  Verdict v = judge(healthy());
  CHECK(v.level == Level::Green);
  CHECK(v.reasons.empty());
  CHECK(v.to_json()["summary"] == "all is well");
}

TEST_CASE("status verdict: a stopped unit is red and named — starting is amber") {
  json r = healthy();
  r["units"][3]["active_state"] = "inactive";
  r["units"][3]["sub_state"] = "dead";
  Verdict v = judge(r);
  CHECK(v.level == Level::Red);
  CHECK(has_reason(v, Level::Red, "nginx.service", "nginx.service is inactive (dead)"));
  CHECK(v.to_json()["summary"] == "nginx.service is inactive (dead)");

  r = healthy();
  r["units"][2]["active_state"] = "activating";
  CHECK(judge(r).level == Level::Amber);
  r["units"][2]["active_state"] = "failed";
  CHECK(judge(r).level == Level::Red);
}

TEST_CASE("status verdict: units not expected (external database) do not count") {
  json r = healthy();
  r["units"][0]["active_state"] = "inactive";
  r["units"][0]["expected"] = false;
  CHECK(judge(r).level == Level::Green);
}

TEST_CASE("status verdict: Orthanc, DICOMweb, PostgreSQL") {
  json r = healthy();
  r["orthanc"]["ok"] = false;
  r["orthanc"]["error"] = "no answer";
  CHECK(has_reason(judge(r), Level::Red, "orthanc", "no answer"));

  r = healthy();
  r["orthanc"]["dicomweb"]["ok"] = false;
  CHECK(judge(r).level == Level::Red);
  r["orthanc"]["dicomweb"]["enabled"] = false;  // plugin not loaded: nothing to answer
  CHECK(judge(r).level == Level::Green);

  r = healthy();
  r["postgresql"]["ok"] = false;
  CHECK(has_reason(judge(r), Level::Red, "postgresql"));
  r["postgresql"]["used"] = false;  // SQLite index: not a reason
  CHECK(judge(r).level == Level::Green);

  r = healthy();
  r["postgresql"]["latency_ms"] = 250.0;
  CHECK(has_reason(judge(r), Level::Amber, "postgresql", "slowly"));
}

TEST_CASE("status verdict: a probe that never ran or is late is amber, not red") {
  json r = healthy();
  r["orthanc"]["age_seconds"] = nullptr;
  r["orthanc"]["ok"] = false;
  CHECK(judge(r).level == Level::Amber);
  r = healthy();
  r["postgresql"]["age_seconds"] = 120;
  CHECK(has_reason(judge(r), Level::Amber, "postgresql", "120 s old"));
}

TEST_CASE("status verdict: disk and memory thresholds") {
  CHECK(disk_level(50) == Level::Green);
  CHECK(disk_level(kDiskAmberPercent - 0.1) == Level::Amber);
  CHECK(disk_level(kDiskRedPercent - 0.1) == Level::Red);
  json r = healthy();
  r["host"]["disks"][0]["free_percent"] = 7.5;
  CHECK(has_reason(judge(r), Level::Amber, "disk", "7.5 % free"));
  r["host"]["disks"][0]["free_percent"] = 2;
  CHECK(judge(r).level == Level::Red);
  r = healthy();
  r["host"]["memory"]["available_bytes"] = 100;
  CHECK(has_reason(judge(r), Level::Amber, "memory"));
}

TEST_CASE("status verdict: certificate expiry and renewal errors") {
  json r = healthy();
  r["tls"] = {{"mode", "acme"}, {"seconds_to_expiry", 60.0 * 86400}, {"last_error", ""}};
  CHECK(judge(r).level == Level::Green);
  r["tls"]["seconds_to_expiry"] = 3.0 * 86400;
  CHECK(has_reason(judge(r), Level::Amber, "tls", "expires in 3.0 days"));
  r["tls"]["seconds_to_expiry"] = -5;
  CHECK(has_reason(judge(r), Level::Red, "tls", "expired"));
  r["tls"] = {{"mode", "acme"}, {"last_error", "rate limited"}};
  CHECK(has_reason(judge(r), Level::Amber, "tls", "rate limited"));
  r["tls"]["verdict"] = "red";
  CHECK(judge(r).level == Level::Red);
}

TEST_CASE("status verdict: a failed reload, a failed rotation, webhook trouble are amber") {
  json r = healthy();
  r["config"] = {{"ok", false}, {"outcome", "reverted"}, {"summary", "orthanc is not answering"}};
  CHECK(has_reason(judge(r), Level::Amber, "config", "was reverted: orthanc is not answering"));
  r = healthy();
  r["admin"]["last_error"] = "nginx reload failed";
  CHECK(has_reason(judge(r), Level::Amber, "admin"));
  r = healthy();
  r["webhook"] = {{"enabled", true}, {"stats_age_seconds", 5}, {"dead", 2}};
  CHECK(has_reason(judge(r), Level::Amber, "webhook", "2 webhook"));
  r["webhook"] = {{"enabled", true}, {"stats_age_seconds", 300}, {"dead", 0}};
  CHECK(has_reason(judge(r), Level::Amber, "webhook", "silent"));
  r["webhook"] = {{"enabled", true}, {"stats_age_seconds", nullptr}};
  CHECK(judge(r).level == Level::Amber);
}

TEST_CASE("status verdict: reasons come red first — missing sections never crash") {
  json r = healthy();
  r["config"] = {{"ok", false}, {"summary", "x"}};
  r["units"][3]["active_state"] = "failed";
  Verdict v = judge(r);
  REQUIRE(v.reasons.size() == 2);
  CHECK(v.reasons[0].level == Level::Red);
  CHECK(v.reasons[1].level == Level::Amber);
  CHECK(judge(json::object()).level == Level::Amber);  // nothing known yet
  CHECK(judge(json()).level == Level::Amber);
}
