#include "status/metrics.h"

#include <doctest/doctest.h>

#include <regex>
#include <set>
#include <sstream>

using namespace radflare;
using nlohmann::json;

namespace {
json sample_report() {
  return json::parse(R"({
    "verdict": {"level": "amber"},
    "units": [{"unit": "nginx.service", "active_state": "inactive", "restarts": 2},
              {"unit": "orthanc.service", "active_state": "active", "restarts": 0}],
    "orthanc": {"ok": true, "patients": 1, "studies": 2, "series": 3, "instances": 400, "storage_bytes": 52600000,
                "dicomweb": {"enabled": true, "ok": true}, "last_study": {"time": "2025-06-01T10:12:13Z"}},
    "postgresql": {"used": true, "ok": true, "latency_ms": 0.5, "size_bytes": 9000000},
    "tls": {"mode": "acme", "seconds_to_expiry": 86400},
    "host": {"uptime_seconds": 100, "load": [0.5, 0.4, 0.3], "memory": {"available_bytes": 1000},
             "disks": [{"path": "/", "purpose": "system, \"DICOM\" files", "free_bytes": 5, "total_bytes": 10}]},
    "config": {"ok": false, "time": "2025-06-01T10:12:13Z"},
    "webhook": {"enabled": true, "depth": 4, "delivered": 10, "failed_attempts": 1, "dead_lettered": 0, "dead": 0}
  })");
}

// A strict reader of the text format 0.0.4: each sample belongs to the family
// of the last # TYPE, names and labels are well formed, no series twice.
std::string check_exposition(const std::string& text) {
  static const std::regex sample(
      R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*")(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*")*\})? (-?[0-9.eE+-]+|NaN|[+-]Inf)$)");
  static const std::regex help(R"(^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+$)");
  static const std::regex type(R"(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$)");
  std::istringstream in(text);
  std::set<std::string> families, series;
  std::string family, pending_help;
  std::smatch m;
  int n = 0;
  for (std::string line; std::getline(in, line);) {
    ++n;
    if (std::regex_match(line, m, help)) {
      pending_help = m[1];
    } else if (std::regex_match(line, m, type)) {
      if (m[1] != pending_help) return "line " + std::to_string(n) + ": TYPE without its HELP";
      if (!families.insert(m[1]).second) return "line " + std::to_string(n) + ": family twice: " + line;
      family = m[1];
    } else if (std::regex_match(line, m, sample)) {
      if (m[1] != family) return "line " + std::to_string(n) + ": sample outside its family: " + line;
      if (!series.insert(m[1].str() + m[2].str()).second) return "line " + std::to_string(n) + ": series twice";
    } else {
      return "line " + std::to_string(n) + ": not exposition format: " + line;
    }
  }
  return text.empty() || text.back() != '\n' ? "no final newline" : "";
}
}  // namespace

TEST_CASE("status metrics: a full report is valid exposition text with the expected samples") {
  const std::string t = prometheus_text(sample_report());
  CHECK(check_exposition(t) == "");
  CHECK(t.find("radflare_status_verdict{level=\"amber\"} 1\n") != std::string::npos);
  CHECK(t.find("radflare_unit_active{unit=\"nginx.service\"} 0\n") != std::string::npos);
  CHECK(t.find("radflare_unit_state{unit=\"nginx.service\",state=\"inactive\"} 1\n") != std::string::npos);
  CHECK(t.find("radflare_unit_restarts_total{unit=\"nginx.service\"} 2\n") != std::string::npos);
  CHECK(t.find("radflare_orthanc_instances 400\n") != std::string::npos);
  CHECK(t.find("radflare_orthanc_storage_bytes 52600000\n") != std::string::npos);
  CHECK(t.find("radflare_postgresql_latency_seconds 0.0005\n") != std::string::npos);
  CHECK(t.find("radflare_tls_cert_expiry_seconds 86400\n") != std::string::npos);
  CHECK(t.find("purpose=\"system, \\\"DICOM\\\" files\"") != std::string::npos);
  CHECK(t.find("radflare_last_reload_success 0\n") != std::string::npos);
  CHECK(t.find("radflare_last_reload_timestamp_seconds 1748772733\n") != std::string::npos);
  CHECK(t.find("radflare_webhook_queue_depth 4\n") != std::string::npos);
  CHECK(t.find("radflare_orthanc_last_study_timestamp_seconds 1748772733\n") != std::string::npos);
}

TEST_CASE("status metrics: what is not known is left out, not zero") {
  json r = sample_report();
  r["orthanc"] = {{"ok", false}};
  r["tls"] = {{"mode", "off"}};
  r["webhook"] = nullptr;
  r["postgresql"] = {{"used", false}};
  const std::string t = prometheus_text(r);
  CHECK(check_exposition(t) == "");
  CHECK(t.find("radflare_orthanc_up 0\n") != std::string::npos);
  CHECK(t.find("radflare_orthanc_studies") == std::string::npos);
  CHECK(t.find("radflare_tls_cert_expiry_seconds") == std::string::npos);
  CHECK(t.find("radflare_webhook") == std::string::npos);
  CHECK(t.find("radflare_postgresql") == std::string::npos);
  CHECK(check_exposition(prometheus_text(json::object())) == "");
}

TEST_CASE("status metrics: label escaping, and the checker refuses bad text") {
  CHECK(prometheus_label("a\\b\"c\nd") == "a\\\\b\\\"c\\nd");
  CHECK(check_exposition("x 1\n") != "");  // no TYPE
  CHECK(check_exposition("# HELP x h\n# TYPE x gauge\nx{a=\"1\"} 1\nx{a=\"1\"} 2\n") != "");
  CHECK(check_exposition("# HELP x h\n# TYPE x gauge\nx{a=\"unterminated} 1\n") != "");
}
