#include "acme/certificate.h"

#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "render/nginx_harness.h"

using namespace radflare::acme;

namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("acme: the placeholder is self-signed, names the domains and is recognised as ours") {
  PemPair pair = make_placeholder({"pacs.example.com", "alt.example.com"});
  CHECK(pair.chain.starts_with("-----BEGIN CERTIFICATE-----"));
  CHECK(pair.key.find("PRIVATE KEY-----") != std::string::npos);
  auto info = inspect_pem(pair.chain);
  REQUIRE(info);
  CHECK(info->placeholder);
  CHECK(info->names == std::vector<std::string>{"pacs.example.com", "alt.example.com"});
  CHECK(info->covers({"PACS.example.com"}));
  CHECK_FALSE(info->covers({"other.example.com"}));
  CHECK(info->issuer == info->subject);
  CHECK(info->subject.find("CN = pacs.example.com") != std::string::npos);
  CHECK(info->not_after - info->not_before > 9L * 365 * 86400);
  CHECK(info->serial.size() >= 16);
  CHECK(key_matches(pair.chain, pair.key));
  CHECK_FALSE(key_matches(pair.chain, make_placeholder({}).key));
  CHECK(inspect_pem(make_placeholder({}).chain)->names == std::vector<std::string>{"localhost"});
}

TEST_CASE("acme: inspecting a certificate made by openssl: validity, serial, issuer, names; not ours") {
  auto dir = std::filesystem::temp_directory_path() / ("radflare-cert-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 "
                    "-subj '/O=Test CA/CN=pacs.test' -addext 'subjectAltName=DNS:pacs.test,IP:10.0.0.1' "
                    "-set_serial 0x1234abcd -keyout " + (dir / "k.pem").string() + " -out " + (dir / "c.pem").string() +
                    " >/dev/null 2>&1";
  REQUIRE(std::system(cmd.c_str()) == 0);
  const std::string chain = slurp(dir / "c.pem") + make_placeholder({}).chain;  // only the first counts
  auto info = inspect_pem(chain);
  REQUIRE(info);
  CHECK_FALSE(info->placeholder);
  CHECK(info->serial == "1234abcd");
  CHECK(info->names == std::vector<std::string>{"pacs.test"});
  CHECK(info->issuer.find("O = Test CA") != std::string::npos);
  CHECK(info->lifetime() == 2 * 86400);
  CHECK(std::abs(info->not_before - time(nullptr)) < 120);
  CHECK(key_matches(chain, slurp(dir / "k.pem")));
  std::filesystem::remove_all(dir);
}

TEST_CASE("acme: what is not a certificate is reported, not thrown") {
  std::string why;
  CHECK_FALSE(inspect_pem("", &why));
  CHECK_FALSE(why.empty());
  CHECK_FALSE(inspect_pem("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n", &why));
  CHECK_FALSE(key_matches("", ""));
  CHECK(iso_utc(0).empty());
  CHECK(iso_utc(86400) == "1970-01-02T00:00:00Z");
}

TEST_CASE("certificate: the serial a real TLS server presents (openssl s_server)") {
  const PemPair pair = make_placeholder({"pacs.test"});
  const auto dir = std::filesystem::temp_directory_path() / ("radflare-served-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "cert.pem") << pair.chain;
  std::ofstream(dir / "key.pem") << pair.key;
  const int port = radflare::nginx_testing::free_port();
  CHECK(served_serial(port, "pacs.test") == "");  // nothing listens yet

  const pid_t server = ::fork();
  REQUIRE(server >= 0);
  if (server == 0) {
    const std::string accept = "127.0.0.1:" + std::to_string(port);
    const std::string cert = (dir / "cert.pem").string(), key = (dir / "key.pem").string();
    ::freopen("/dev/null", "w", stdout);
    ::freopen("/dev/null", "w", stderr);
    ::execlp("openssl", "openssl", "s_server", "-quiet", "-www", "-accept", accept.c_str(), "-cert", cert.c_str(),
             "-key", key.c_str(), nullptr);
    ::_exit(127);
  }
  std::string served;
  for (int i = 0; i < 250 && served.empty(); ++i) {
    served = served_serial(port, "pacs.test");
    if (served.empty()) ::usleep(20000);
  }
  ::kill(server, SIGTERM);
  ::waitpid(server, nullptr, 0);
  std::filesystem::remove_all(dir);
  const auto info = inspect_pem(pair.chain);
  REQUIRE(info);
  CHECK(served == info->serial);
}
