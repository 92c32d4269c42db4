// Golden-style checks of the rendered nginx files, and of the refusal to
// render values that could break out of nginx's syntax. The real-nginx
// checks (nginx -t, live requests) are in nginx_live_test.cc.
#include <doctest/doctest.h>

#include "render/nginx_quote.h"
#include "render/paths.h"
#include "render/render.h"
#include "render/testing.h"

namespace radflare {
namespace {

using testing::example_config;
using testing::file_at;

std::string site(const Config& c) { return file_at(render_nginx(c), paths::kNginxSite).bytes; }
bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

size_t count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t pos = text.find(part); pos != std::string::npos; pos = text.find(part, pos + 1)) ++n;
  return n;
}

TEST_CASE("nginx: three files, secrets only in the two root-only includes") {
  Config c = example_config();
  c.web.users.push_back({"app", Secret("app-password")});
  auto files = render_nginx(c);
  REQUIRE(files.size() == 3);

  const auto& s = file_at(files, paths::kNginxSite);
  CHECK(s.mode == 0644);
  CHECK_FALSE(s.secret);
  const auto& users = file_at(files, paths::kNginxUsers);
  CHECK(users.mode == 0600);
  CHECK(users.owner == "root");
  CHECK(users.secret);
  const auto& up = file_at(files, paths::kNginxUpstreamAuth);
  CHECK(up.mode == 0600);
  CHECK(up.secret);

  std::string admin = nginx::basic_authorization("admin", "test-admin-password");
  std::string app = nginx::basic_authorization("app", "app-password");
  std::string proxy = nginx::basic_authorization(kProxyUser, "test-proxy-password");
  CHECK(has(users.bytes, "map $http_authorization $radflare_user {"));
  CHECK(has(users.bytes, "\"~^" + nginx::regex_literal(admin) + "$\" \"admin\";"));
  CHECK(has(users.bytes, "\"~^" + nginx::regex_literal(app) + "$\" \"app\";"));
  CHECK_FALSE(has(users.bytes, proxy.substr(6)));  // people's file never holds nginx's own credential
  CHECK(up.bytes.ends_with("proxy_set_header Authorization \"" + proxy + "\";\n"));

  for (const auto& secret : {admin.substr(6), app.substr(6), proxy.substr(6)}) CHECK_FALSE(has(s.bytes, secret));
  CHECK(has(s.bytes, std::string("include ") + paths::kNginxUsers + ";"));
}

TEST_CASE("nginx: upstream, ports and names") {
  Config c = example_config();
  std::string s = site(c);
  CHECK(has(s, "upstream radflare_orthanc {\n    server 127.0.0.1:8044;\n    keepalive 32;"));
  CHECK(has(s, "listen 80;"));
  CHECK(has(s, "listen 8042;"));
  CHECK(count(s, "server_name _;") == 2);
  CHECK_FALSE(has(s, "ssl"));

  c.site.hostnames = {"pacs.example.com", "10.0.0.5"};
  c.web.orthanc_port = 0;
  s = site(c);
  CHECK(has(s, "server_name pacs.example.com 10.0.0.5;"));
  CHECK_FALSE(has(s, "listen 8042;"));
}

TEST_CASE("nginx: OHIF under its sub-path") {
  std::string s = site(example_config());
  CHECK(has(s, "location = /ohif {\n        return 301 /ohif/;"));
  CHECK(has(s, "location = /ohif/app-config.js {"));
  CHECK(has(s, std::string("alias ") + paths::kOhifAppConfig + ";"));
  CHECK(has(s, std::string("alias ") + paths::kOhifServed + "/;"));
  CHECK(has(s, "try_files $uri $uri/ /ohif/index.html;"));
  CHECK(has(s, "application/javascript mjs;"));
  CHECK(has(s, "gzip_static on;"));
  CHECK(has(s, "add_header Content-Security-Policy \"frame-ancestors 'self'\" always;"));
  // The manifest location is the one OHIF location without the auth check.
  size_t manifest = s.find("location = /ohif/manifest.json {");
  REQUIRE(manifest != std::string::npos);
  CHECK(s.substr(manifest, s.find('}', manifest) - manifest).find("$radflare_user") == std::string::npos);

  Config c = example_config();
  c.web.ohif_path = "/viewer/";
  c.web.frame_ancestors = {"https://app.example.com", "'self'", "https://*.example.org:8443"};
  s = site(c);
  CHECK(has(s, "location /viewer/ {"));
  CHECK(has(s, "try_files $uri $uri/ /viewer/index.html;"));
  CHECK(has(s, "\"frame-ancestors 'self' https://app.example.com https://*.example.org:8443\""));
}

TEST_CASE("nginx: DICOMweb and WADO proxied with nginx's credential") {
  Config c = example_config();
  std::string s = site(c);
  CHECK(has(s, "location /dicom-web/ {"));
  CHECK(has(s, "location = /wado {"));
  // Proxied: dicom-web, its frames and their retry, wado; on :8042 the same three and "/".
  CHECK(count(s, std::string("include ") + paths::kNginxUpstreamAuth + ";") == 8);
  CHECK(count(s, "proxy_set_header Forwarded \"proto=$scheme;host=$http_host\";") == 8);
  CHECK(count(s, "proxy_set_header Host $http_host;") == 8);
  CHECK(count(s, "proxy_set_header Connection \"\";") == 8);
  CHECK(has(s, "client_max_body_size 4g;"));
  CHECK(has(s, "proxy_request_buffering off;"));
  CHECK(count(s, "client_body_buffer_size 256k;") == 8);
  CHECK(has(s, "set $args $radflare_includefield_16;"));
  CHECK(has(s, "add_header WWW-Authenticate $radflare_www_authenticate always;"));
  // Frames Orthanc fails are asked again; the nested location checks the user itself.
  size_t frames = s.find("location ~ /frames/[^/]+$ {");
  REQUIRE(frames != std::string::npos);
  CHECK(s.find("if ($radflare_user = \"\")", frames) < s.find("proxy_pass", frames));
  CHECK(count(s, "error_page 500 = @radflare_frames_retry;") == 2);
  CHECK(count(s, "proxy_set_header Accept $radflare_frames_retry_accept;") == 2);

  c.web.max_upload_bytes = 0;
  CHECK(has(site(c), "client_max_body_size 0;"));
  c.web.max_upload_bytes = 1536 * 1024;
  CHECK(has(site(c), "client_max_body_size 1536k;"));
  c.web.max_upload_bytes = 1000001;
  CHECK(has(site(c), "client_max_body_size 1000001;"));
}

TEST_CASE("nginx: CORS only for the configured origins") {
  Config c = example_config();
  CHECK_FALSE(has(site(c), "Access-Control"));
  c.web.cors_origins = {"http://localhost:3001", "https://app.example.com"};
  std::string s = site(c);
  CHECK(has(s, "map $http_origin $radflare_cors_origin {"));
  CHECK(has(s, "\"http://localhost:3001\" \"http://localhost:3001\";"));
  CHECK(has(s, "\"https://app.example.com\" \"https://app.example.com\";"));
  // The preflight answer comes before the auth check in every API location.
  size_t preflight = s.find("if ($radflare_cors_preflight)");
  REQUIRE(preflight != std::string::npos);
  CHECK(preflight < s.find("if ($radflare_user = \"\")", s.find("location /dicom-web/")));
  CHECK(count(s, "return 204;") == 6);  // dicom-web, its frames, wado; the same on :8042 with "/"
}

TEST_CASE("nginx: TLS") {
  Config c = example_config();
  c.tls.mode = TlsMode::Manual;
  c.tls.cert_file = "/etc/radflare/tls/cert.pem";
  c.tls.key_file = "/etc/radflare/tls/key.pem";
  std::string s = site(c);
  CHECK(has(s, "listen 443 ssl http2;"));
  CHECK(has(s, "ssl_certificate \"/etc/radflare/tls/cert.pem\";"));
  CHECK(has(s, "ssl_certificate_key \"/etc/radflare/tls/key.pem\";"));
  CHECK(has(s, "return 301 https://$host$request_uri;"));
  CHECK_FALSE(has(s, "acme-challenge"));
  CHECK_FALSE(has(s, "Strict-Transport-Security"));

  c.tls.mode = TlsMode::Acme;
  c.tls.domains = {"pacs.example.com", "alt.example.com"};
  c.tls.hsts = true;
  c.web.https_port = 8443;
  s = site(c);
  // The supervisor's pair, the same before and after the first issuance.
  CHECK(has(s, "ssl_certificate \"/var/lib/radflare/tls/fullchain.pem\";"));
  CHECK(has(s, "ssl_certificate_key \"/var/lib/radflare/tls/privkey.pem\";"));
  CHECK(has(s, "location /.well-known/acme-challenge/ {"));
  CHECK(has(s, std::string("root ") + paths::kAcmeWebroot + ";"));
  CHECK(has(s, "return 301 https://$host:8443$request_uri;"));
  CHECK(has(s, "add_header Strict-Transport-Security \"max-age=31536000\" always;"));
}

TEST_CASE("nginx: the generation the probe waits for, on the HTTP port, loopback only") {
  Config c = example_config();
  const std::string g = nginx_generation(c);
  CHECK(g.size() == 16);
  CHECK(g.find_first_not_of("0123456789abcdef") == std::string::npos);
  std::string s = site(c);
  CHECK(count(s, "location = /.radflare/nginx-generation {") == 1);
  CHECK(has(s, "return 200 \"" + g + "\\n\";"));
  CHECK(has(s, "allow 127.0.0.1;\n        allow ::1;\n        deny all;"));
  CHECK_FALSE(has(s, "@RADFLARE_NGINX_GENERATION@"));
  CHECK(nginx_generation(c) == g);  // the same files, the same generation

  // Any file changing changes it: the site, or only a credential include.
  Config cors = c;
  cors.web.cors_origins = {"https://app.example.com"};
  CHECK(nginx_generation(cors) != g);
  Config rotated = c;
  rotated.admin.password = Secret("a-rotated-admin-password");
  CHECK(site(rotated) != s);  // the generation line differs...
  CHECK(nginx_generation(rotated) != g);
  Config internal = c;
  internal.internal.proxy_password = Secret("another-internal-password");
  CHECK(nginx_generation(internal) != g);

  // With TLS, on the plain-HTTP server (the one the probe reaches), once.
  c.tls.mode = TlsMode::Manual;
  c.tls.cert_file = "/etc/radflare/tls/cert.pem";
  c.tls.key_file = "/etc/radflare/tls/key.pem";
  s = site(c);
  CHECK(count(s, "location = /.radflare/nginx-generation {") == 1);
  CHECK(s.find("nginx-generation") < s.find("listen 443 ssl"));
}

TEST_CASE("nginx: values that could break out of a directive are refused") {
  auto refused = [](Config c, const std::string& field) {
    try {
      render_nginx(c);
    } catch (const nginx::UnsafeValue& e) {
      CHECK_MESSAGE(std::string(e.what()).starts_with(field), e.what());
      return true;
    }
    return false;
  };
  Config c = example_config();
  c.web.cors_origins = {"https://ok.example", "https://x.example; return 200"};
  CHECK(refused(c, "web.cors_origins[1]"));
  c = example_config();
  c.web.cors_origins = {"https://x.example\"; add_header X y; #"};
  CHECK(refused(c, "web.cors_origins[0]"));
  c = example_config();
  c.site.hostnames = {"pacs.example.com;", "b"};
  CHECK(refused(c, "site.hostnames[0]"));
  c = example_config();
  c.site.hostnames = {"~^(?<x>.*)$"};
  CHECK(refused(c, "site.hostnames[0]"));
  c = example_config();
  c.web.frame_ancestors = {"https://a.example' always; add_header X 'y"};
  CHECK(refused(c, "web.frame_ancestors[0]"));
  c = example_config();
  c.web.frame_ancestors = {"https://a.example}"};
  CHECK(refused(c, "web.frame_ancestors[0]"));
  c = example_config();
  c.web.users.push_back({"bob\" \"admin", Secret("pw")});
  CHECK(refused(c, "web.users[0].name"));
  c = example_config();
  c.admin.user = "ad:min";
  CHECK(refused(c, "admin.user"));
  c = example_config();
  c.web.ohif_path = "/ohif/ { return 200; } location /x/";
  CHECK(refused(c, "web.ohif_path"));
  c = example_config();
  c.orthanc.dicomweb_root = "/dicom-web/$host/";
  CHECK(refused(c, "orthanc.dicomweb_root"));
  c = example_config();
  c.orthanc.wado_root = "/wado\n";
  CHECK(refused(c, "orthanc.wado_root"));
  c = example_config();
  c.tls.mode = TlsMode::Manual;
  c.tls.cert_file = "/etc/cert.pem; include /etc/shadow";
  c.tls.key_file = "/etc/key.pem";
  CHECK(refused(c, "tls.cert_file"));
  c.tls.cert_file = "/etc/cert.pem";
  c.tls.key_file = "/etc/key#.pem";
  CHECK(refused(c, "tls.key_file"));
  c = example_config();
  c.tls.mode = TlsMode::Acme;
  c.tls.domains = {"../../../etc"};
  CHECK(refused(c, "tls.domains[0]"));
}

TEST_CASE("nginx: OHIF cannot share its path with DICOMweb or WADO") {
  Config c = example_config();
  c.web.ohif_path = "/dicom-web/";
  CHECK_THROWS_AS(render_nginx(c), std::invalid_argument);
  c.web.ohif_path = "/wado/";
  CHECK_THROWS_AS(render_nginx(c), std::invalid_argument);
}

TEST_CASE("nginx: the same settings render the same bytes whatever file they came from") {
  Config a = example_config(), b = example_config();
  b.source_path = "/tmp/elsewhere.toml";
  auto fa = render_nginx(a), fb = render_nginx(b);
  REQUIRE(fa.size() == fb.size());
  for (size_t i = 0; i < fa.size(); ++i) CHECK(fa[i].bytes == fb[i].bytes);
}

TEST_CASE("nginx quote: credentials and regex literals") {
  CHECK(nginx::basic_authorization("Aladdin", "open sesame") == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  CHECK(nginx::basic_authorization("a", "bc") == "Basic YTpiYw==");
  CHECK(nginx::basic_authorization("a", "b") == "Basic YTpi");
  CHECK(nginx::regex_literal("Basic ab+c/d==") == "Basic ab[+]c/d==");
  CHECK_THROWS_AS(nginx::regex_literal("a$b"), nginx::UnsafeValue);
  CHECK(nginx::quoted(nginx::ValueKind::CspSource, "f", "'self'") == "\"'self'\"");
  CHECK_THROWS_AS(nginx::checked(nginx::ValueKind::Origin, "f", "https://a.example/path"), nginx::UnsafeValue);
  CHECK_THROWS_AS(nginx::checked(nginx::ValueKind::Origin, "f", "javascript://x"), nginx::UnsafeValue);
  CHECK_THROWS_AS(nginx::checked(nginx::ValueKind::UrlPath, "f", ""), nginx::UnsafeValue);
}

}  // namespace
}  // namespace radflare
