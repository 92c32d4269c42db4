#include "config/load.h"

#include <doctest/doctest.h>

#include "config/fakes.h"

using namespace radflare;
using radflare::testing::load_for_test;

namespace {
std::string all_messages(const LoadResult& r) {
  std::string out;
  for (const auto& d : r.diagnostics) out += d.format() + "\n";
  return out;
}
}  // namespace

TEST_CASE("an empty file is a valid configuration with every default") {
  auto r = load_for_test("");
  REQUIRE_MESSAGE(r.config, all_messages(r));
  const Config& c = *r.config;
  CHECK(c.site.name == "Radflare");
  CHECK(c.orthanc.aet == "RADFLARE");
  CHECK(c.orthanc.dicom_port == 4242);
  CHECK(c.orthanc.dicomweb_root == "/dicom-web/");
  CHECK(c.orthanc.plugins == std::vector<std::string>{"dicomweb", "postgresql", "python", "gdcm"});
  CHECK(c.orthanc.http_threads == 32);    // 2 cores * 16
  CHECK(c.orthanc.concurrent_jobs == 2);  // at least 2
  CHECK(c.database.mode == DatabaseMode::Local);
  CHECK(c.database.host == "localhost");
  CHECK(c.database.sslmode == "disable");
  CHECK(c.database.password.reveal() == "managed-db-password");
  CHECK(c.admin.password.reveal() == "managed-admin-password");
  CHECK(c.internal.proxy_password.reveal() == "managed-proxy-password");
  CHECK(c.web.ohif_path == "/ohif/");
  CHECK(c.web.max_upload_bytes == (4LL << 30));
  CHECK(c.tls.mode == TlsMode::Off);
  CHECK_FALSE(c.webhook.enabled());
  CHECK(c.status.allowed_cidrs.size() == 6);
}

TEST_CASE("derived defaults follow the machine") {
  HostFacts big = radflare::testing::golden_host();
  big.cpu_count = 16;
  auto r = load_for_test("", {}, big);
  REQUIRE(r.config);
  CHECK(r.config->orthanc.http_threads == 100);
  CHECK(r.config->orthanc.concurrent_jobs == 8);
}

TEST_CASE("every error is reported in one run, with line and column") {
  auto r = load_for_test(
      "[orthanc]\n"
      "dicom_port = 70000\n"
      "aet = \"THIS_AET_IS_FAR_TOO_LONG\"\n"
      "[web]\n"
      "http_prot = 80\n");
  CHECK_FALSE(r.config);
  REQUIRE(r.diagnostics.size() == 3);
  CHECK(r.diagnostics[0].format() == "test.toml:2:14: error: orthanc.dicom_port: expected a port number (1-65535), found 70000");
  CHECK(r.diagnostics[1].line == 3);
  CHECK(r.diagnostics[1].key == "orthanc.aet");
  CHECK(r.diagnostics[2].format() ==
        "test.toml:5:1: error: web.http_prot: unknown key \"http_prot\" in [web]; did you mean \"http_port\"?");
}

TEST_CASE("an inline secret is refused without echoing it") {
  auto r = load_for_test("[database]\nmode = \"external\"\nhost = \"db\"\npassword = \"hunter2\"\n");
  CHECK_FALSE(r.config);
  const std::string text = all_messages(r);
  CHECK(text.find("hunter2") == std::string::npos);
  CHECK(text.find("password_file") != std::string::npos);
}

TEST_CASE("a missing secret file is an error naming the key") {
  radflare::testing::FakeFiles files;
  files.missing.insert("/etc/radflare/secrets/rds");
  auto r = load_for_test(
      "[database]\nmode = \"external\"\nhost = \"db.example.com\"\npassword_file = \"/etc/radflare/secrets/rds\"\n",
      files);
  CHECK_FALSE(r.config);
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].key == "database.password_file");
  CHECK(r.diagnostics[0].line == 4);
  CHECK(r.diagnostics[0].message.find("does not exist") != std::string::npos);
}

TEST_CASE("explorer2 is skipped with a warning when its plugin is not installed") {
  auto r = load_for_test("[orthanc]\nplugins = [\"dicomweb\", \"explorer2\"]\n");
  REQUIRE(r.config);
  CHECK(r.config->orthanc.plugins == std::vector<std::string>{"dicomweb"});
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].severity == Diagnostic::Severity::Warning);
}

TEST_CASE("tls domains default to the site's host names") {
  auto r = load_for_test(
      "[site]\nhostnames = [\"pacs.example.com\"]\n[tls]\nmode = \"acme\"\nemail = \"ops@example.com\"\n");
  REQUIRE_MESSAGE(r.config, all_messages(r));
  CHECK(r.config->tls.domains == std::vector<std::string>{"pacs.example.com"});
}

TEST_CASE("modalities and users are read from arrays of tables") {
  auto r = load_for_test(
      "[[orthanc.modalities]]\nname = \"ct\"\naet = \"CT1\"\nhost = \"10.0.0.5\"\n"
      "[[web.users]]\nname = \"app\"\npassword_file = \"/etc/app\"\n");
  REQUIRE_MESSAGE(r.config, all_messages(r));
  REQUIRE(r.config->orthanc.modalities.size() == 1);
  CHECK(r.config->orthanc.modalities[0].port == 104);
  REQUIRE(r.config->web.users.size() == 1);
  CHECK(r.config->web.users[0].password.reveal() == "secret-of:/etc/app");
}

TEST_CASE("a secret file with control characters is refused without echoing it") {
  radflare::testing::FakeFiles files;
  files.secrets["/etc/app"] = "pa\tss";
  auto r = load_for_test("[[web.users]]\nname = \"app\"\npassword_file = \"/etc/app\"\n", files);
  CHECK_FALSE(r.config);
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].message.find("control characters") != std::string::npos);
  CHECK(r.diagnostics[0].message.find("pa\tss") == std::string::npos);
}
