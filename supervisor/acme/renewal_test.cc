#include "acme/renewal.h"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "apply/fakes.h"
#include "secrets/store.h"

using namespace radflare;
using namespace radflare::acme;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Plays certbot: on success writes a lineage (a self-signed certificate made
// by openssl, standing in for the CA's) like certbot's live/radflare/.
class FakeCertbot final : public ChildRunner {
 public:
  std::vector<std::vector<std::string>> runs;
  std::vector<std::pair<int, std::string>> answers;  // popped per run; empty = success
  fs::path lineage;
  int days = 90;

  ChildResult run(const std::vector<std::string>& argv, const std::map<std::string, std::string>&,
                  std::chrono::milliseconds) override {
    runs.push_back(argv);
    if (!answers.empty()) {
      auto [code, output] = answers.front();
      answers.erase(answers.begin());
      if (code != 0) return {code, false, output};
    }
    fs::create_directories(lineage);
    std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days " +
                      std::to_string(days) + " -subj '/O=Fake CA/CN=pacs.test' -addext subjectAltName=DNS:pacs.test -keyout " +
                      (lineage / "privkey.pem").string() + " -out " + (lineage / "fullchain.pem").string() +
                      " >/dev/null 2>&1";
    return {std::system(cmd.c_str()) == 0 ? 0 : 1, false, "Successfully received certificate.\n"};
  }
};

struct Fixture {
  fs::path root = fs::temp_directory_path() / ("radflare-acme-" + generate_password().substr(0, 12));
  std::optional<Config> config = Config{};
  StatusBoard board;
  testing::FakeSystemd systemd;
  testing::FakeCommands commands;
  FakeCertbot* certbot = nullptr;
  std::unique_ptr<AcmeRenewal> task;

  Fixture() {
    config->tls.mode = TlsMode::Acme;
    config->tls.domains = {"pacs.test"};
    config->tls.email = "ops@example.com";
    config->tls.acme_directory = "https://10.0.0.1:14000/dir";
    auto fake = std::make_unique<FakeCertbot>();
    certbot = fake.get();
    certbot->lineage = root / "var/lib/radflare/letsencrypt/live/radflare";
    task = std::make_unique<AcmeRenewal>(config, board, systemd, commands, root.string(), std::move(fake));
    // No nginx here: a client gets whatever pair is installed.
    task->served_serial = [this](int, const std::string&) {
      auto info = inspect_pem(live());
      return info ? info->serial : std::string();
    };
  }
  ~Fixture() { fs::remove_all(root); }
  std::string live() const { return slurp(root / "var/lib/radflare/tls/fullchain.pem"); }
  nlohmann::json tls() const { return board.section("tls"); }
};

const std::string kUnreachable =
    "An unexpected error occurred:\nrequests.exceptions.ConnectionError: HTTPSConnectionPool(host='10.0.0.1', "
    "port=14000): Max retries exceeded with url: /dir (Caused by NewConnectionError('x: Failed to establish a new "
    "connection: [Errno 111] Connection refused'))\n";

}  // namespace

TEST_CASE("acme: before any issuance nginx has a placeholder pair and the webroot exists; renewal is due at once") {
  Fixture f;
  auto info = inspect_pem(f.live());
  REQUIRE(info);
  CHECK(info->placeholder);
  CHECK(key_matches(f.live(), slurp(f.root / "var/lib/radflare/tls/privkey.pem")));
  CHECK((fs::status(f.root / "var/lib/radflare/tls/privkey.pem").permissions() & fs::perms::others_read) == fs::perms::none);
  CHECK(fs::is_directory(f.root / "var/lib/radflare/acme-webroot/.well-known/acme-challenge"));
  const time_t now = time(nullptr);
  CHECK(f.task->next_due(now) == now);
  CHECK(f.tls()["verdict"] == "red");
  CHECK(f.tls()["placeholder"] == true);
  // A second start keeps the pair.
  const std::string before = f.live();
  CHECK(ensure_placeholder(f.root.string()).empty());
  CHECK(f.live() == before);
}

TEST_CASE("acme: a successful issuance installs the lineage's pair, checks nginx and reloads it") {
  Fixture f;
  const time_t now = time(nullptr);
  f.task->run(now);
  REQUIRE(f.certbot->runs.size() == 1);
  CHECK(f.certbot->runs[0].at(1) == "certonly");
  CHECK(f.live() == slurp(f.certbot->lineage / "fullchain.pem"));
  CHECK(f.commands.ran == std::vector<std::string>{"nginx"});
  CHECK(f.systemd.calls == std::vector<std::string>{"ReloadOrRestartUnit nginx.service"});
  auto s = f.tls();
  CHECK(s["mode"] == "acme");
  CHECK(s["verdict"] == "green");
  CHECK(s["placeholder"] == false);
  CHECK(s["issuer"].get<std::string>().find("Fake CA") != std::string::npos);
  CHECK(s["serial"].get<std::string>().size() > 4);
  CHECK(s["last_error"] == "");
  // Not due again before a third of 90 days remains (the twice-daily check aside).
  CHECK(f.task->next_due(now) <= now + 12 * 3600);
  f.task->run(now + 60);
  CHECK(f.certbot->runs.size() == 1);
  ControlAnswer a = f.task->renew_now(now + 60, false);
  CHECK(a.ok);
  CHECK(a.summary.starts_with("not due"));
  CHECK(f.certbot->runs.size() == 1);
  a = f.task->renew_now(now + 60, true);
  CHECK(a.ok);
  CHECK(f.certbot->runs.size() == 2);
}

TEST_CASE("acme: failures keep the served pair, are reported and retried after 1 min, then 10 min") {
  Fixture f;
  const std::string placeholder = f.live();
  f.certbot->answers = {{1, kUnreachable}, {1, kUnreachable}, {0, ""}};
  const time_t now = time(nullptr);
  f.task->run(now);
  CHECK(f.live() == placeholder);
  CHECK(f.systemd.calls.empty());
  auto s = f.tls();
  CHECK(s["failures"] == 1);
  CHECK(s["last_error"].get<std::string>().starts_with("cannot reach the ACME directory https://10.0.0.1:14000/dir"));
  CHECK(s["verdict"] == "red");
  f.task->next_due(now + 1);  // republishes (the timer would wake at next_attempt or an earlier check)
  CHECK(f.tls()["next_attempt"] == iso_utc(now + 60));
  f.task->run(now + 30);  // a twice-daily check inside the backoff: no attempt
  CHECK(f.certbot->runs.size() == 1);
  f.task->run(now + 60);
  CHECK(f.certbot->runs.size() == 2);
  CHECK(f.task->next_due(now + 61) <= now + 660);
  CHECK(f.tls()["next_attempt"] == iso_utc(now + 660));
  // An operator's `radflare renew` does not wait for the backoff.
  ControlAnswer a = f.task->renew_now(now + 70, false);
  CHECK(a.ok);
  CHECK(f.certbot->runs.size() == 3);
  CHECK(f.tls()["failures"] == 0);
  CHECK(f.tls()["last_error"] == "");
  CHECK_FALSE(inspect_pem(f.live())->placeholder);
}

TEST_CASE("acme: nginx refusing the new pair puts the previous one back") {
  Fixture f;
  const std::string placeholder = f.live();
  f.commands.nginx_status = 1;
  ControlAnswer a = f.task->renew_now(time(nullptr), true);
  CHECK_FALSE(a.ok);
  CHECK(a.summary.find("nginx rejected the new certificate") != std::string::npos);
  CHECK(f.live() == placeholder);
  CHECK(f.systemd.calls.empty());
}

TEST_CASE("acme: an account the CA no longer knows is registered again") {
  Fixture f;
  const fs::path account = f.root / "var/lib/radflare/letsencrypt/accounts/10.0.0.1:14000/dir/abc";
  fs::create_directories(account);
  f.certbot->answers = {{1, "An unexpected error occurred:\nacme.messages.Error: urn:ietf:params:acme:error:accountDoesNotExist :: Account \"x\" not found.\n"}};
  ControlAnswer a = f.task->renew_now(time(nullptr), false);
  CHECK(a.ok);
  CHECK(f.certbot->runs.size() == 2);
  CHECK_FALSE(fs::exists(account));
}

TEST_CASE("acme: off and manual modes renew nothing; manual shows the operator's certificate") {
  Fixture f;
  f.config->tls.mode = TlsMode::Off;
  CHECK(f.task->next_due(time(nullptr)) == 0);
  CHECK(f.tls() == nlohmann::json{{"mode", "off"}});
  CHECK_FALSE(f.task->renew_now(time(nullptr), true).ok);
  CHECK(f.certbot->runs.empty());
  f.config->tls.mode = TlsMode::Manual;
  f.config->tls.cert_file = (f.root / "var/lib/radflare/tls/fullchain.pem").string();
  CHECK(f.task->next_due(time(nullptr)) > time(nullptr));
  CHECK(f.tls()["mode"] == "manual");
  CHECK(f.tls()["placeholder"] == true);
}
