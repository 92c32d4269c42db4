// The seed's manual deployment (../shared/seed/) expressed as
// tests/configs/seed.toml must render to files that carry every one of its
// settings. One check per seed setting, named after where the seed set it.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "config/fakes.h"
#include "plan/write.h"
#include "render/paths.h"
#include "render/render.h"

using namespace radflare;
using nlohmann::json;

namespace {

struct SeedRender {
  Plan plan;
  json orthanc, dicomweb, postgresql, python;
  std::string nginx, users, env;
};

SeedRender render_seed(bool explorer2_installed = false) {
  std::string toml;
  REQUIRE(read_file(std::string(RADFLARE_SOURCE_DIR) + "/tests/configs/seed.toml", toml));
  HostFacts host = radflare::testing::golden_host();
  host.explorer2_installed = explorer2_installed;
  auto loaded = radflare::testing::load_for_test(toml, {}, host);
  REQUIRE(loaded.config);
  SeedRender r;
  r.plan = render_plan(*loaded.config);
  auto text = [&](const char* path) {
    const PlannedFile* f = r.plan.find(path);
    REQUIRE_MESSAGE(f, "not rendered: ", path);
    return f->bytes;
  };
  r.orthanc = json::parse(text(paths::kOrthancJson));
  r.dicomweb = json::parse(text(paths::kOrthancDicomweb));
  r.postgresql = json::parse(text(paths::kOrthancPostgresql));
  r.python = json::parse(text(paths::kOrthancPython));
  r.nginx = text(paths::kNginxSite);
  r.users = text(paths::kNginxUsers);
  r.env = text(paths::kOrthancEnv);
  return r;
}

bool has(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

bool loads_plugin(const json& orthanc, const std::string& library) {
  for (const auto& p : orthanc["Plugins"])
    if (p.get<std::string>().ends_with("/" + library)) return true;
  return false;
}

}  // namespace

TEST_CASE("seed orthanc.json: Name, LoadPlugins, AuthenticationEnabled, RemoteAccessAllowed") {
  auto r = render_seed();
  CHECK(r.orthanc["Name"] == "RadflareTeleOrthancWeb");
  for (const char* lib : {"libOrthancDicomWeb.so", "libOrthancPostgreSQLIndex.so", "libOrthancPostgreSQLStorage.so",
                          "libOrthancPython.so"})
    CHECK_MESSAGE(loads_plugin(r.orthanc, lib), lib);
  CHECK(r.orthanc["AuthenticationEnabled"] == true);
  // RemoteAccessAllowed: true — remote clients now reach Orthanc through nginx
  // on the same port 8042, with authentication; Orthanc itself stays local.
  CHECK(r.orthanc["RemoteAccessAllowed"] == false);
  CHECK(has(r.nginx, "listen 8042;"));
  CHECK(has(r.nginx, "proxy_pass http://radflare_orthanc;"));
}

TEST_CASE("seed orthanc.json: OrthancExplorer2 Enable and IsDefaultOrthancUI, where the plugin exists") {
  auto r = render_seed(true);
  CHECK(loads_plugin(r.orthanc, "libOrthancExplorer2.so"));
  CHECK(r.orthanc["OrthancExplorer2"]["Enable"] == true);
  CHECK(r.orthanc["OrthancExplorer2"]["IsDefaultOrthancUI"] == true);
}

TEST_CASE("seed orthanc.json: DicomWeb Enable, Root, EnableWado, WadoRoot, Ssl, QidoCaseSensitive") {
  auto r = render_seed();
  const json& d = r.dicomweb["DicomWeb"];
  CHECK(d["Enable"] == true);
  CHECK(d["Root"] == "/dicom-web/");
  CHECK(d["EnableWado"] == true);
  CHECK(d["WadoRoot"] == "/wado");
  CHECK(d["Ssl"] == false);
  CHECK(d["QidoCaseSensitive"] == false);
  CHECK_FALSE(d.contains("Host"));  // Debian's "Host": "localhost" breaks BulkDataURIs
}

TEST_CASE("seed orthanc.json: HttpServer CORS and HttpHeaders Access-Control-*") {
  auto r = render_seed();
  for (const char* origin : {"http://localhost:3001", "http://127.0.0.1:3001", "http://203.0.113.10:8042"})
    CHECK_MESSAGE(has(r.nginx, std::string("\"") + origin + "\" \"" + origin + "\";"), origin);
  CHECK(has(r.nginx, "\"Origin, Accept, Authorization, Content-Type, X-Requested-With\""));  // CorsAllowedHeaders
  CHECK(has(r.nginx, "\"Location, Content-Location\""));                                     // CorsExposedHeaders
  CHECK(has(r.nginx, "\"GET, POST, PUT, DELETE, OPTIONS\""));  // Access-Control-Allow-Methods
  CHECK(has(r.nginx, "1 \"3600\";"));                          // CorsMaxAge
}

TEST_CASE("seed postgresql.json and compose ORTHANC__POSTGRESQL__*: index, storage, SSL, connection") {
  auto r = render_seed();
  const json& p = r.postgresql["PostgreSQL"];
  CHECK(p["EnableIndex"] == true);
  CHECK(p["EnableStorage"] == true);
  CHECK(p["EnableSsl"] == true);
  CHECK(p["Host"] == "your-rds-endpoint.amazonaws.com");
  CHECK(p["Port"] == 5432);
  CHECK(p["Database"] == "radflare_orthanc_web");
  CHECK(p["Username"] == "orthanc");
  CHECK(p["Password"] == "secret-of:/etc/radflare/secrets/rds-password");
}

TEST_CASE("seed registered-users.json / ORTHANC__REGISTEREDUSERS__admin: admin logs in") {
  auto r = render_seed();
  // base64("admin:managed-admin-password"), checked by nginx for OHIF, DICOMweb and :8042.
  CHECK(has(r.users, "\"~^Basic YWRtaW46bWFuYWdlZC1hZG1pbi1wYXNzd29yZA==$\" \"admin\";"));
}

TEST_CASE("seed compose ports 8042 and 4242") {
  auto r = render_seed();
  CHECK(r.orthanc["DicomPort"] == 4242);
  CHECK(has(r.nginx, "listen 8042;"));
}

TEST_CASE("seed .env ORTHANC_PLUGIN_*: every webhook setting reaches the plugin") {
  auto r = render_seed();
  for (const char* line : {
           "ORTHANC_PLUGIN_RADFLARE_API_URL=\"https://your-host/api/v1/webhooks/orthanc\"",
           "ORTHANC_PLUGIN_API_KEY=\"secret-of:/etc/radflare/secrets/webhook-api-key\"",
           "ORTHANC_PLUGIN_QUEUE_TYPE=\"persistent\"",
           "ORTHANC_PLUGIN_PERSISTENT_QUEUE_PATH=\"/var/lib/orthanc/queue\"",
           "ORTHANC_PLUGIN_MAX_RETRIES=\"1\"",
           "ORTHANC_PLUGIN_INITIAL_RETRY_DELAY=\"20\"",
           "ORTHANC_PLUGIN_MAX_RETRY_DELAY=\"60\"",
           "ORTHANC_PLUGIN_RETRY_BACKOFF_FACTOR=\"2\"",
       })
    CHECK_MESSAGE(has(r.env, std::string(line) + "\n"), line);
}

TEST_CASE("seed plugins/python volume: the operator's orthanc_plugin.py runs") {
  auto r = render_seed();
  CHECK(r.python["PythonScript"] == "/etc/radflare/plugins/orthanc_plugin.py");
}

TEST_CASE("seed nginx site: listen 80, /ohif/ with SPA fallback, /dicom-web/ and /wado proxied") {
  auto r = render_seed();
  CHECK(has(r.nginx, "listen 80;"));
  CHECK(has(r.nginx, "location /ohif/ {"));
  CHECK(has(r.nginx, "try_files $uri $uri/ /ohif/index.html;"));  // /ohif/viewer?StudyInstanceUIDs=…
  CHECK(has(r.nginx, "location /dicom-web/ {"));
  CHECK(has(r.nginx, "location = /wado {"));
  CHECK(has(r.nginx, "proxy_set_header Host $http_host;"));
}
