#include "status/report.h"

#include <doctest/doctest.h>

using namespace radflare;
using nlohmann::json;

namespace {
Config sample_config() {
  Config c;
  c.site.name = "Radflare";
  c.orthanc.plugins = {"dicomweb", "postgresql"};
  c.orthanc.dicomweb_root = "/dicom-web/";
  c.web.ohif_path = "/ohif/";
  c.admin.user = "admin";
  c.admin.password = Secret("AdminPassw0rdXYZ");
  c.internal.proxy_password = Secret("ProxyPassw0rdXYZ");
  c.database.user = "orthanc";
  c.database.password = Secret("db\"pass\\word");
  c.web.users.push_back({"customer-app", Secret("AppPassw0rdXYZ")});
  return c;
}
json board() {
  return json::parse(R"({
    "units": [{"unit": "postgresql@15-main.service", "active_state": "active", "sub_state": "running", "since": 1748772733, "restarts": 0},
              {"unit": "nginx.service", "active_state": "active", "sub_state": "running", "since": 0, "restarts": 1}],
    "incidents": [{"time": 1748772700, "unit": "nginx.service", "what": "died; systemd restarts it"},
                  {"time": 1748772701, "unit": "nginx.service", "what": "active again"}],
    "reload": {"config": "/etc/radflare.toml", "time": "2025-06-01T10:12:13Z", "ok": true, "outcome": "applied",
               "summary": "applied", "diagnostics": []},
    "admin": {"user": "admin", "last_error": ""}
  })");
}
}  // namespace

TEST_CASE("status report: units with level, since and incident counts — newest incident first") {
  json r = build_report(board(), json::object(), view_of(sample_config()), 1748772800);
  REQUIRE(r["units"].size() == 2);
  CHECK(r["units"][0]["since"] == "2025-06-01T10:12:13Z");
  CHECK(r["units"][0]["level"] == "green");
  CHECK(r["units"][1]["since"].is_null());
  CHECK(r["units"][1]["incidents"] == 2);
  CHECK(r["incidents"][0]["what"] == "active again");
  CHECK(r["incidents"][0]["time"] == "2025-06-01T10:11:41Z");
  CHECK(r["config"]["path"] == "/etc/radflare.toml");
  CHECK_FALSE(r["config"].contains("config"));
  CHECK(r["schema_version"] == 1);
  CHECK(r["verdict"].contains("level"));
}

TEST_CASE("status report: with an external database the local database units are not expected") {
  Config c = sample_config();
  c.database.mode = DatabaseMode::External;
  json b = board();
  b["units"][0]["active_state"] = "inactive";
  json r = build_report(b, json::object(), view_of(c), 1748772800);
  CHECK(r["units"][0]["expected"] == false);
  CHECK(r["units"][0]["level"] == "off");
  CHECK(r["units"][1]["expected"] == true);
}

TEST_CASE("status report: links from the config — a configured name makes a full URL") {
  Config c = sample_config();
  json r = build_report(json::object(), json::object(), view_of(c), 0);
  REQUIRE(r["links"].size() == 3);
  CHECK(r["links"][0]["path"] == "/ohif/");
  CHECK(r["links"][0]["url"].is_null());
  CHECK(r["links"][1]["path"] == "/dicom-web/studies");
  CHECK(r["links"][2]["port"] == 8042);
  c.tls.mode = TlsMode::Acme;
  c.site.hostnames = {"pacs.example.com"};
  r = build_report(json::object(), json::object(), view_of(c), 0);
  CHECK(r["links"][0]["url"] == "https://pacs.example.com/ohif/");
  CHECK(r["links"][2]["url"] == "https://pacs.example.com:8042/app/explorer.html");
  CHECK(r["tls"]["mode"] == "acme");
  CHECK(r["tls"]["domains"][0] == "pacs.example.com");
}

TEST_CASE("status report: the TLS section of the board wins and gets seconds to expiry") {
  json b = board();
  b["tls"] = {{"mode", "acme"}, {"not_after", "2025-06-02T10:12:13Z"}, {"issuer", "Pebble"}};
  json r = build_report(b, json::object(), view_of(sample_config()), 1748772733);
  CHECK(r["tls"]["seconds_to_expiry"] == 86400);
  CHECK(r["tls"]["issuer"] == "Pebble");
}

TEST_CASE("status report: every secret of the config is found and redacted in any form") {
  CHECK(base64("Aladdin:open sesame") == "QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  CHECK(base64("a") == "YQ==");
  CHECK(base64("ab") == "YWI=");
  const auto secrets = secrets_of(sample_config());
  const std::string leak = "x AdminPassw0rdXYZ y " + base64("radflare-proxy:ProxyPassw0rdXYZ") +
                           " z db\\\"pass\\\\word w AppPassw0rdXYZ";
  const std::string clean = redact(leak, secrets);
  CHECK(clean.find("AdminPassw0rd") == std::string::npos);
  CHECK(clean.find("ProxyPassw0rd") == std::string::npos);
  CHECK(clean.find(base64("radflare-proxy:ProxyPassw0rdXYZ")) == std::string::npos);
  CHECK(clean.find("pass") == std::string::npos);
  CHECK(clean.find("AppPassw0rd") == std::string::npos);
  CHECK(redact("nothing here", secrets) == "nothing here");
}
