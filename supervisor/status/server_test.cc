#include "status/server.h"

#include <doctest/doctest.h>
#include <httplib.h>
#include <unistd.h>

#include "daemon/status_board.h"
#include "render/nginx_harness.h"

using namespace radflare;
using nlohmann::json;

namespace {
Config local_config(std::vector<std::string> cidrs = {"127.0.0.0/8"}) {
  Config c;
  c.site.name = "Radflare";
  c.status.listen = "127.0.0.1";
  c.status.port = 0;  // any free port (the loader never allows 0; tests only)
  c.status.allowed_cidrs = std::move(cidrs);
  c.orthanc.http_port = 1;  // nothing listens: Orthanc is "not answering"
  c.web.ohif_path = "/ohif/";
  c.internal.proxy_password = Secret("ProxySecretValue123");
  c.admin.user = "admin";
  c.admin.password = Secret("AdminSecretValue123");
  return c;
}
StatusServerOptions options() {
  StatusServerOptions o;
  o.assets_dir = RADFLARE_SOURCE_DIR "/web-status";
  o.probe_interval = std::chrono::milliseconds(100);
  o.cache = std::chrono::milliseconds(0);
  o.threads = 2;
  return o;
}
void wait_listening(const StatusServer& s) {
  for (int i = 0; i < 200 && s.listening().empty(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE_FALSE(s.listening().empty());
}
}  // namespace

TEST_CASE("status server: the endpoints, read-only, nothing secret") {
  StatusBoard board;
  // A section that (wrongly) carries a secret is redacted on the way out.
  board.publish("units", json::array({{{"unit", "nginx.service"}, {"active_state", "active"}, {"sub_state", "running"},
                                       {"since", 1}, {"restarts", 0}, {"note", "AdminSecretValue123"}}}));
  StatusServer server(board, options());
  Config c = local_config();
  server.configure(&c);
  wait_listening(server);
  httplib::Client client("127.0.0.1", server.port());

  auto page = client.Get("/");
  REQUIRE(page);
  CHECK(page->status == 200);
  CHECK(page->get_header_value("Content-Type").find("text/html") == 0);
  CHECK(page->body.find("<html") != std::string::npos);

  auto status = client.Get("/api/status");
  REQUIRE(status);
  CHECK(status->status == 200);
  json j = json::parse(status->body);
  CHECK(j["units"][0]["unit"] == "nginx.service");
  CHECK(j["verdict"]["level"] == "red");  // Orthanc does not answer
  CHECK(status->body.find("AdminSecretValue123") == std::string::npos);
  CHECK(status->body.find("ProxySecretValue123") == std::string::npos);
  CHECK(status->get_header_value("Cache-Control") == "no-store");

  auto metrics = client.Get("/metrics");
  REQUIRE(metrics);
  CHECK(metrics->status == 200);
  CHECK(metrics->body.find("radflare_unit_active{unit=\"nginx.service\"} 1") != std::string::npos);

  auto health = client.Get("/healthz");
  REQUIRE(health);
  CHECK(health->status == 503);

  auto post = client.Post("/api/status", "x", "text/plain");
  REQUIRE(post);
  CHECK(post->status == 405);
  CHECK(post->get_header_value("Allow") == "GET, HEAD");
  auto del = client.Delete("/");
  REQUIRE(del);
  CHECK(del->status == 405);

  auto missing = client.Get("/nothing-here.js");
  REQUIRE(missing);
  CHECK(missing->status == 404);
  auto traversal = client.Get("/../etc/passwd");
  REQUIRE(traversal);
  CHECK(traversal->status == 404);
  server.stop();
}

TEST_CASE("status server: a client outside the allow-list gets 403 — a new list applies at once") {
  StatusBoard board;
  StatusServer server(board, options());
  Config c = local_config({"10.0.0.0/8"});
  server.configure(&c);
  wait_listening(server);
  const int port = server.port();
  httplib::Client client("127.0.0.1", port);
  for (const char* path : {"/", "/api/status", "/metrics", "/healthz", "/app.js"}) {
    auto res = client.Get(path);
    REQUIRE(res);
    CHECK(res->status == 403);
    CHECK(res->body.find("nginx") == std::string::npos);
  }
  auto post = client.Post("/api/status", "x", "text/plain");
  REQUIRE(post);
  CHECK(post->status == 403);  // 403 before 405: nothing is told to strangers

  c.status.allowed_cidrs = {"10.0.0.0/8", "127.0.0.1/32"};
  c.status.port = port;  // same listener
  server.configure(&c);
  CHECK(server.port() == port);
  httplib::Client again("127.0.0.1", port);
  auto res = again.Get("/api/status");
  REQUIRE(res);
  CHECK(res->status == 200);
  server.stop();
}

TEST_CASE("status server: a new listen port on reload moves the listener") {
  StatusBoard board;
  StatusServer server(board, options());
  Config c = local_config();
  server.configure(&c);
  wait_listening(server);
  const int first = server.port();
  const int other = nginx_testing::free_port();
  REQUIRE(other > 0);
  c.status.port = other;
  server.configure(&c);
  wait_listening(server);
  CHECK(server.port() == other);
  httplib::Client moved("127.0.0.1", other);
  auto res = moved.Get("/healthz");
  REQUIRE(res);
  httplib::Client old("127.0.0.1", first);
  old.set_connection_timeout(1);
  CHECK_FALSE(old.Get("/healthz"));
  server.stop();
  CHECK(server.listening().empty());
}
