// The rendered nginx files against the real nginx: `nginx -t` for several
// configurations, and a live nginx on loopback in front of a small recording
// backend standing in for Orthanc. Skipped only when nginx is not installed.
#include <doctest/doctest.h>
#include <httplib.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "config/fakes.h"
#include "plan/write.h"
#include "render/nginx_harness.h"
#include "render/nginx_quote.h"
#include "render/paths.h"
#include "render/render.h"
#include "render/testing.h"

namespace radflare {
namespace {

namespace fs = std::filesystem;
using testing::example_config;

// What the stand-in for Orthanc received.
struct Seen {
  std::string method, path, target, authorization, host, forwarded, accept;
  std::vector<std::string> includefields;
  size_t body_bytes = 0;
};

class RecordingBackend {
 public:
  RecordingBackend() {
    auto record = [this](const httplib::Request& req, size_t body) {
      Seen s{req.method,
             req.path,
             req.target,
             req.get_header_value("Authorization"),
             req.get_header_value("Host"),
             req.get_header_value("Forwarded"),
             req.get_header_value("Accept"),
             {},
             body};
      for (size_t i = 0; i < req.get_param_value_count("includefield"); ++i)
        s.includefields.push_back(req.get_param_value("includefield", i));
      std::lock_guard lock(mutex_);
      seen_.push_back(s);
    };
    auto reply = [record](const httplib::Request& req, httplib::Response& res) {
      record(req, req.body.size());
      // As DICOMweb 1.7 with an Explicit VR Big Endian instance ("be"): its frames
      // come out only when transcoded to Explicit VR Little Endian.
      if (req.path.ends_with("/instances/be/frames/1") &&
          req.get_header_value("Accept").find("transfer-syntax=1.2.840.10008.1.2.1") == std::string::npos) {
        res.status = 500;
        res.set_content("{\"Message\": \"Internal error\"}", "application/json");
        return;
      }
      res.set_content("{}", "application/dicom+json");
    };
    server_.Get(".*", reply);
    server_.Put(".*", reply);
    server_.Delete(".*", reply);
    server_.Options(".*", reply);
    server_.Post(".*", [record](const httplib::Request& req, httplib::Response& res,
                                const httplib::ContentReader& read) {
      size_t bytes = 0;
      read([&](const char*, size_t n) {
        bytes += n;
        return true;
      });
      record(req, bytes);
      res.set_content("{}", "application/dicom+json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ~RecordingBackend() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  Seen last() {
    std::lock_guard lock(mutex_);
    REQUIRE_FALSE(seen_.empty());
    return seen_.back();
  }
  size_t count() {
    std::lock_guard lock(mutex_);
    return seen_.size();
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mutex_;
  std::vector<Seen> seen_;
};

httplib::Headers basic(const std::string& user, const std::string& password) {
  return {{"Authorization", nginx::basic_authorization(user, password)}};
}

// A live nginx with the rendered site in front of a recording backend.
struct LiveSite {
  RecordingBackend backend;
  nginx_testing::TempDir dir;
  Config config = example_config();
  std::unique_ptr<nginx_testing::NginxProcess> nginx;

  explicit LiveSite(void (*tweak)(Config&) = nullptr) {
    config.orthanc.http_port = backend.port();
    config.web.http_port = nginx_testing::free_port();
    config.web.orthanc_port = nginx_testing::free_port();
    config.web.users.push_back({"app", Secret("app-password")});
    config.web.cors_origins = {"http://localhost:3001"};
    if (tweak) tweak(config);
    nginx_testing::write_fake_ohif(dir.path);
    nginx_testing::write_nginx_tree(render_nginx(config), render_ohif(config), dir.path);
    nginx = std::make_unique<nginx_testing::NginxProcess>(dir.path, config.web.http_port);
  }
  httplib::Client client(int port) const {
    httplib::Client c("127.0.0.1", port);
    c.set_url_encode(false);  // send the query exactly as written
    c.set_read_timeout(std::chrono::seconds(30));
    return c;
  }
  httplib::Client web() const { return client(config.web.http_port); }
};

TEST_CASE("nginx -t accepts every rendered variant") {
  if (!nginx_testing::nginx_installed()) {
    MESSAGE("nginx not installed: skipped");
    return;
  }
  nginx_testing::TempDir tls;
  nginx_testing::write_self_signed_cert(tls.path / "cert.pem", tls.path / "key.pem");
  std::vector<std::pair<std::string, Config>> variants;
  variants.emplace_back("default", example_config());
  Config c = example_config();
  c.site.hostnames = {"pacs.example.com", "10.1.2.3"};
  c.web.cors_origins = {"http://localhost:3001", "https://app.example.com"};
  c.web.frame_ancestors = {"https://app.example.com"};
  c.web.users = {{"app", Secret("x")}, {"viewer.2", Secret("y+z/")}};
  c.web.max_upload_bytes = 0;
  c.web.orthanc_port = 0;
  variants.emplace_back("cors, users, no 8042", c);
  c = example_config();
  c.web.ohif_path = "/";
  variants.emplace_back("OHIF at /", c);
  c = example_config();
  c.tls.mode = TlsMode::Manual;
  c.tls.cert_file = (tls.path / "cert.pem").string();
  c.tls.key_file = (tls.path / "key.pem").string();
  c.tls.hsts = true;
  variants.emplace_back("tls manual", c);
  c = example_config();
  c.tls.mode = TlsMode::Acme;
  c.tls.domains = {"pacs.example.com"};
  variants.emplace_back("tls acme", c);

  for (const auto& [name, config] : variants) {
    CAPTURE(name);
    nginx_testing::TempDir dir;
    if (config.tls.mode == TlsMode::Acme) {  // stands in for the supervisor's placeholder pair
      fs::create_directories(dir.path / "var/lib/radflare/tls");
      nginx_testing::write_self_signed_cert(dir.path / "var/lib/radflare/tls/fullchain.pem",
                                      dir.path / "var/lib/radflare/tls/privkey.pem");
    }
    nginx_testing::write_nginx_tree(render_nginx(config), render_ohif(config), dir.path);
    auto [ok, output] = nginx_testing::nginx_test_config(dir.path);
    CHECK_MESSAGE(ok, output);
    CHECK_MESSAGE(output.find("[warn]") == std::string::npos, output);
  }
}

TEST_CASE("nginx -t accepts the site rendered from every config in tests/configs") {
  if (!nginx_testing::nginx_installed()) {
    MESSAGE("nginx not installed: skipped");
    return;
  }
  nginx_testing::TempDir tls;
  nginx_testing::write_self_signed_cert(tls.path / "cert.pem", tls.path / "key.pem");
  for (const auto& e : fs::directory_iterator(fs::path(RADFLARE_SOURCE_DIR) / "tests/configs")) {
    if (e.path().extension() != ".toml") continue;
    CAPTURE(e.path().string());
    std::string toml;
    REQUIRE(read_file(e.path().string(), toml));
    auto loaded = testing::load_for_test(toml);
    REQUIRE(loaded.config);
    Config config = *loaded.config;
    if (config.tls.mode == TlsMode::Manual) {  // the real files are not on this host
      config.tls.cert_file = (tls.path / "cert.pem").string();
      config.tls.key_file = (tls.path / "key.pem").string();
    }
    if (config.tls.mode == TlsMode::Acme) continue;  // covered with a fake lineage above
    nginx_testing::TempDir dir;
    nginx_testing::write_nginx_tree(render_nginx(config), render_ohif(config), dir.path);
    auto [ok, output] = nginx_testing::nginx_test_config(dir.path);
    CHECK_MESSAGE(ok, output);
    CHECK_MESSAGE(output.find("[warn]") == std::string::npos, output);
  }
}

TEST_CASE("live nginx: edge authentication") {
  if (!nginx_testing::nginx_installed()) {
    MESSAGE("nginx not installed: skipped");
    return;
  }
  LiveSite site;
  auto web = site.web();

  auto res = web.Get("/dicom-web/studies");
  REQUIRE(res);
  CHECK(res->status == 401);
  CHECK(res->get_header_value("WWW-Authenticate") == "Basic realm=\"Radflare\", charset=\"UTF-8\"");
  CHECK(site.backend.count() == 0);

  res = web.Get("/dicom-web/studies", basic("admin", "test-admin-password"));
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK_FALSE(res->has_header("WWW-Authenticate"));
  Seen seen = site.backend.last();
  CHECK(seen.authorization == nginx::basic_authorization(kProxyUser, "test-proxy-password"));
  std::string host = "127.0.0.1:" + std::to_string(site.config.web.http_port);
  CHECK(seen.host == host);
  CHECK(seen.forwarded == "proto=http;host=" + host);

  res = web.Get("/wado?requestType=WADO", basic("app", "app-password"));
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(site.backend.last().authorization == nginx::basic_authorization(kProxyUser, "test-proxy-password"));

  // Wrong password; and the right one with its case changed (plain nginx map
  // strings would match it: the users file must use case-sensitive regexes).
  CHECK(web.Get("/dicom-web/studies", basic("admin", "wrong"))->status == 401);
  std::string lowered = nginx::basic_authorization("admin", "test-admin-password");
  for (char& ch : lowered) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  lowered.replace(0, 5, "Basic");
  CHECK(web.Get("/dicom-web/studies", {{"Authorization", lowered}})->status == 401);
  CHECK(web.Get("/dicom-web/studies", basic(kProxyUser, "test-proxy-password"))->status == 401);

  // The generation, for the supervisor's probe on loopback, without credentials.
  const auto proxied = site.backend.count();
  res = web.Get("/.radflare/nginx-generation");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->body == nginx_generation(site.config) + "\n");
  CHECK(site.backend.count() == proxied);  // nginx answers it itself

  // The seed-compatible door: everything to Orthanc, same authentication.
  auto door = site.client(site.config.web.orthanc_port);
  CHECK(door.Get("/app/explorer.html")->status == 401);
  res = door.Get("/app/explorer.html", basic("admin", "test-admin-password"));
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(site.backend.last().path == "/app/explorer.html");
  CHECK(site.backend.last().authorization == nginx::basic_authorization(kProxyUser, "test-proxy-password"));
}

TEST_CASE("live nginx: includefield split into repeated parameters") {
  if (!nginx_testing::nginx_installed()) {
    MESSAGE("nginx not installed: skipped");
    return;
  }
  LiveSite site;
  auto admin = basic("admin", "test-admin-password");
  for (int port : {site.config.web.http_port, site.config.web.orthanc_port}) {
    auto cli = site.client(port);
    auto res = cli.Get("/dicom-web/studies?limit=101&offset=0&includefield=00081030%2C00080060%2c00080090,00100030"
                       "&StudyDate=20200101-",
                       admin);
    REQUIRE(res);
    CHECK(res->status == 200);
    Seen seen = site.backend.last();
    CHECK(seen.includefields == std::vector<std::string>{"00081030", "00080060", "00080090", "00100030"});
    CHECK(seen.target ==
          "/dicom-web/studies?limit=101&offset=0&includefield=00081030&includefield=00080060"
          "&includefield=00080090&includefield=00100030&StudyDate=20200101-");
  }
  auto web = site.web();
  web.Get("/dicom-web/studies?includefield=all&limit=5", admin);
  CHECK(site.backend.last().target == "/dicom-web/studies?includefield=all&limit=5");
  web.Get("/dicom-web/studies/1.2.3/series?includefield=0008103E", admin);
  CHECK(site.backend.last().includefields == std::vector<std::string>{"0008103E"});
}

TEST_CASE("live nginx: frames Orthanc fails in their own syntax are asked again in Little Endian") {
  if (!nginx_testing::nginx_installed()) {
    MESSAGE("nginx not installed: skipped");
    return;
  }
  LiveSite site;
  const std::string any = "multipart/related; type=\"application/octet-stream\"; transfer-syntax=*";
  const std::string little_endian =
      "multipart/related; type=\"application/octet-stream\"; transfer-syntax=1.2.840.10008.1.2.1";
  const std::string big_endian = "multipart/related; type=\"application/octet-stream\"; transfer-syntax=1.2.840.10008.1.2.2";
  const std::string be_frame = "/dicom-web/studies/1/series/2/instances/be/frames/1";
  for (int port : {site.config.web.http_port, site.config.web.orthanc_port}) {
    auto cli = site.client(port);
    httplib::Headers headers = basic("admin", "test-admin-password");
    headers.emplace("Accept", any);

    // "*" admits Little Endian: the failed answer is replaced by the transcoded one.
    size_t before = site.backend.count();
    auto res = cli.Get(be_frame, headers);
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(site.backend.count() == before + 2);
    Seen retry = site.backend.last();
    CHECK(retry.accept == little_endian);
    CHECK(retry.path == be_frame);
    CHECK(retry.authorization == nginx::basic_authorization(kProxyUser, "test-proxy-password"));

    // Frames that work the first time are asked once, as the client asked.
    before = site.backend.count();
    res = cli.Get("/dicom-web/studies/1/series/2/instances/le/frames/1", headers);
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(site.backend.count() == before + 1);
    CHECK(site.backend.last().accept == any);

    // A client that wants one given syntax never gets another: asked again as it was, still 500.
    headers = basic("admin", "test-admin-password");
    headers.emplace("Accept", big_endian);
    res = cli.Get(be_frame, headers);
    REQUIRE(res);
    CHECK(res->status == 500);
    CHECK(site.backend.last().accept == big_endian);

    // The nested location checks the user too.
    before = site.backend.count();
    res = cli.Get(be_frame, {{"Accept", any}});
    REQUIRE(res);
    CHECK(res->status == 401);
    CHECK(site.backend.count() == before);
  }
}

TEST_CASE("live nginx: CORS only for configured origins, preflight before auth") {
  if (!nginx_testing::nginx_installed()) {
    MESSAGE("nginx not installed: skipped");
    return;
  }
  LiveSite site;
  auto web = site.web();
  httplib::Headers preflight{{"Origin", "http://localhost:3001"},
                             {"Access-Control-Request-Method", "GET"},
                             {"Access-Control-Request-Headers", "authorization"}};
  auto res = web.Options("/dicom-web/studies", preflight);
  REQUIRE(res);
  CHECK(res->status == 204);
  CHECK(res->get_header_value("Access-Control-Allow-Origin") == "http://localhost:3001");
  CHECK(res->get_header_value("Access-Control-Allow-Methods") == "GET, POST, PUT, DELETE, OPTIONS");
  CHECK(res->get_header_value("Access-Control-Allow-Headers").find("Authorization") != std::string::npos);
  CHECK(res->get_header_value("Access-Control-Max-Age") == "3600");
  CHECK(site.backend.count() == 0);

  httplib::Headers stranger{{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "GET"}};
  res = web.Options("/dicom-web/studies", stranger);
  REQUIRE(res);
  CHECK(res->status == 401);
  CHECK_FALSE(res->has_header("Access-Control-Allow-Origin"));

  httplib::Headers call = basic("admin", "test-admin-password");
  call.emplace("Origin", "http://localhost:3001");
  res = web.Get("/dicom-web/studies", call);
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->get_header_value("Access-Control-Allow-Origin") == "http://localhost:3001");
  CHECK(res->get_header_value("Access-Control-Expose-Headers") == "Location, Content-Location");
  CHECK_FALSE(res->has_header("Access-Control-Allow-Methods"));
  res = web.Get("/dicom-web/studies", basic("admin", "test-admin-password"));
  CHECK_FALSE(res->has_header("Access-Control-Allow-Origin"));
}

TEST_CASE("live nginx: uploads stream through up to the limit") {
  if (!nginx_testing::nginx_installed()) {
    MESSAGE("nginx not installed: skipped");
    return;
  }
  LiveSite site;  // max_upload 4G
  std::string body(60 << 20, 'x');
  auto res = site.web().Post("/dicom-web/studies", basic("admin", "test-admin-password"), body,
                             "multipart/related; type=\"application/dicom\"");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(site.backend.last().body_bytes == body.size());

  LiveSite small([](Config& c) { c.web.max_upload_bytes = 1 << 20; });
  res = small.web().Post("/dicom-web/studies", basic("admin", "test-admin-password"), std::string(2 << 20, 'x'),
                         "application/dicom");
  REQUIRE(res);
  CHECK(res->status == 413);
}

TEST_CASE("live nginx: OHIF files, SPA fallback, caching, manifest without credentials") {
  if (!nginx_testing::nginx_installed()) {
    MESSAGE("nginx not installed: skipped");
    return;
  }
  LiveSite site;
  auto web = site.web();
  auto admin = basic("admin", "test-admin-password");

  auto res = web.Get("/ohif");
  REQUIRE(res);
  CHECK(res->status == 301);
  CHECK(res->get_header_value("Location") == "/ohif/");

  res = web.Get("/ohif/");
  CHECK(res->status == 401);
  CHECK(res->has_header("WWW-Authenticate"));
  res = web.Get("/ohif/manifest.json");
  CHECK(res->status == 200);
  CHECK_FALSE(res->has_header("WWW-Authenticate"));

  res = web.Get("/ohif/", admin);
  CHECK(res->status == 200);
  CHECK(res->body.find("fake OHIF") != std::string::npos);
  CHECK(res->get_header_value("Cache-Control") == "no-cache");
  CHECK(res->get_header_value("Content-Security-Policy") == "frame-ancestors 'self'");
  res = web.Get("/ohif/viewer?StudyInstanceUIDs=1.2.3", admin);
  CHECK(res->status == 200);
  CHECK(res->body.find("fake OHIF") != std::string::npos);

  res = web.Get("/ohif/app-config.js", admin);
  CHECK(res->status == 200);
  CHECK(res->body.find("window.config = ") != std::string::npos);  // the rendered one
  CHECK(res->get_header_value("Cache-Control") == "no-cache");

  res = web.Get("/ohif/app.bundle.0123456789abcdef.js", admin);
  CHECK(res->status == 200);
  CHECK(res->get_header_value("Content-Type") == "application/javascript");
  CHECK(res->get_header_value("Cache-Control") == "public, max-age=31536000, immutable");
  res = web.Get("/ohif/ort/module.mjs", admin);
  CHECK(res->status == 200);
  CHECK(res->get_header_value("Content-Type") == "application/javascript");

  httplib::Headers gz = admin;
  gz.emplace("Accept-Encoding", "gzip");
  res = web.Get("/ohif/app.bundle.css", gz);
  CHECK(res->status == 200);
  CHECK(res->get_header_value("Content-Encoding") == "gzip");

  CHECK(web.Get("/", admin)->get_header_value("Location") == "/ohif/");
  CHECK(web.Get("/orthanc/system", admin)->status == 404);  // port 80 exposes no Orthanc REST
}

}  // namespace
}  // namespace radflare
