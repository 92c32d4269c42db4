#include "status/probes.h"

#include <doctest/doctest.h>

#include <map>

using namespace radflare;
using nlohmann::json;

TEST_CASE("status probes: /proc parsers") {
  auto m = parse_meminfo("MemTotal:        4030328 kB\nMemFree:          123 kB\nMemAvailable:    2015164 kB\n");
  REQUIRE(m);
  CHECK(m->total_bytes == 4030328LL * 1024);
  CHECK(m->available_bytes == 2015164LL * 1024);
  CHECK_FALSE(parse_meminfo("MemTotal: 1 kB\n"));
  auto l = parse_loadavg("0.52 0.58 0.59 2/345 12345\n");
  REQUIRE(l);
  CHECK((*l)[0] == doctest::Approx(0.52));
  CHECK((*l)[2] == doctest::Approx(0.59));
  CHECK_FALSE(parse_loadavg(""));
  CHECK(parse_uptime("35.61 60.02\n") == doctest::Approx(35.61));
  CHECK_FALSE(parse_uptime("x"));
}

TEST_CASE("status probes: the data volumes follow the config") {
  Config c;
  c.orthanc.storage_dir = "/var/lib/orthanc/db";
  c.orthanc.plugins = {"postgresql", "dicomweb"};
  auto v = data_volumes(c);
  REQUIRE(v.size() == 3);
  CHECK(v[1].path == "/var/lib/orthanc/db");
  CHECK(v[2].purpose == "PostgreSQL data");
  c.database.mode = DatabaseMode::External;
  c.database.files = FileStorage::PostgreSQL;
  c.webhook.url = "https://app.example.com/hook";
  c.webhook.queue_path = "/var/lib/orthanc/queue";
  v = data_volumes(c);
  REQUIRE(v.size() == 2);
  CHECK(v[1].purpose == "webhook queue");
}

TEST_CASE("status probes: Orthanc facts from /system and /statistics") {
  json system = {{"Version", "1.10.1"}, {"Name", "Radflare"}, {"DicomAet", "RADFLARE"}, {"DicomPort", 4242}};
  json stats = {{"CountPatients", 2}, {"CountStudies", 3}, {"CountSeries", 4}, {"CountInstances", 100},
                {"TotalDiskSize", "52600000"}, {"TotalDiskSizeMB", 50}};
  json f = orthanc_facts(system, stats);
  CHECK(f["version"] == "1.10.1");
  CHECK(f["aet"] == "RADFLARE");
  CHECK(f["studies"] == 3);
  CHECK(f["instances"] == 100);
  CHECK(f["storage_bytes"] == 52600000);
  CHECK_FALSE(orthanc_facts(json::object(), json::object()).contains("studies"));
}

TEST_CASE("status probes: webhook stats keep counts and times, drop the settings") {
  json stats = {{"depth", 3}, {"dead", 1}, {"delivered", 10}, {"last_error", "HTTP 500"},
                {"updated_at", "2025-06-01T10:12:13.456Z"},
                {"settings", {{"url", "https://app.example.com/hook"}}}, {"settings_problems", json::array()}};
  json w = webhook_facts(stats, 1748772733 + 7);
  CHECK(w["depth"] == 3);
  CHECK(w["dead"] == 1);
  CHECK(w["stats_age_seconds"] == 7);
  CHECK_FALSE(w.contains("settings"));
  CHECK(webhook_facts(json::object(), 0)["stats_age_seconds"].is_null());
}

namespace {
// A fake Orthanc /changes: sequence numbers 1..n, study changes where given.
struct FakeChanges {
  int64_t last = 0;
  std::map<int64_t, std::string> types;  // seq -> ChangeType (others: NewInstance)
  int calls = 0;
  std::optional<json> operator()(const std::string& path) {
    ++calls;
    if (path == "/changes?last") return json{{"Changes", json::array()}, {"Done", true}, {"Last", last}};
    int64_t since = 0, limit = 0;
    if (std::sscanf(path.c_str(), "/changes?since=%ld&limit=%ld", &since, &limit) != 2) return std::nullopt;
    json changes = json::array();
    int64_t s = since + 1;
    for (; s <= last && s <= since + limit; ++s) {
      auto it = types.find(s);
      changes.push_back({{"Seq", s}, {"ChangeType", it == types.end() ? "NewInstance" : it->second},
                         {"ID", "id-" + std::to_string(s)}, {"Date", "20250601T101213"}});
    }
    return json{{"Changes", changes}, {"Done", s > last}, {"Last", std::min(last, since + limit)}};
  }
};
}  // namespace

TEST_CASE("status probes: the changes tail finds the newest study, then reads only what is new") {
  FakeChanges orthanc;
  orthanc.last = 2500;
  orthanc.types = {{10, "NewStudy"}, {1200, "StableStudy"}};
  ChangesTail tail;
  auto get = [&](const std::string& p) { return orthanc(p); };
  REQUIRE(tail.update(get));
  CHECK(tail.last_study()["orthanc_id"] == "id-1200");
  CHECK(tail.last_study()["time"] == "2025-06-01T10:12:13Z");
  orthanc.last = 2600;
  orthanc.types[2550] = "NewStudy";
  orthanc.calls = 0;
  REQUIRE(tail.update(get));
  CHECK(orthanc.calls == 2);  // ?last and one page
  CHECK(tail.last_study()["orthanc_id"] == "id-2550");
  CHECK(tail.last_study()["change"] == "NewStudy");
}

TEST_CASE("status probes: no study yet, an unreachable Orthanc, a fresh database") {
  FakeChanges orthanc;
  orthanc.last = 0;
  ChangesTail tail;
  auto get = [&](const std::string& p) { return orthanc(p); };
  CHECK(tail.update(get));
  CHECK(tail.last_study().is_null());
  CHECK_FALSE(tail.update([](const std::string&) { return std::optional<json>(); }));
  orthanc.last = 5;
  orthanc.types = {{3, "NewStudy"}};
  CHECK(tail.update(get));
  CHECK(tail.last_study()["orthanc_id"] == "id-3");
  orthanc.last = 2;  // the database was replaced
  orthanc.types = {};
  CHECK(tail.update(get));
  CHECK(tail.last_study().is_null());
}

TEST_CASE("status probes: the threads probe at once and report each section's age") {
  StatusProbes probes(std::chrono::milliseconds(50));
  probes.start();
  // Wait until every section has been probed once: the threads start together
  // but finish in any order, and a loaded machine can delay any one of them.
  auto all_probed = [](const json& snapshot) {
    for (const char* section : {"host", "orthanc", "postgresql", "webhook"})
      if (snapshot[section]["age_seconds"].is_null()) return false;
    return true;
  };
  json s;
  for (int i = 0; i < 500; ++i) {
    s = probes.snapshot(time(nullptr));
    if (all_probed(s)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  probes.stop();
  REQUIRE(all_probed(s));
  CHECK(s["host"]["memory"]["total_bytes"].get<int64_t>() > 0);
  CHECK(s["host"]["disks"].size() >= 1);
  CHECK(s["orthanc"]["ok"] == false);  // no config: nothing to probe
  CHECK(s["postgresql"]["used"] == false);
  CHECK(s["webhook"]["enabled"] == false);
}
