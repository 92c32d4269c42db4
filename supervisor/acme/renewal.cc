#include "acme/renewal.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "plan/write.h"
#include "render/paths.h"

namespace radflare::acme {

namespace fs = std::filesystem;

namespace {

std::string join(const std::vector<std::string>& v, const char* sep = ", ") {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

nlohmann::json iso_or_null(time_t t) {
  if (t <= 0) return nullptr;
  return iso_utc(t);
}

std::string read_text(const std::string& path) {
  std::string out;
  return read_file(path, out) ? out : std::string();
}

// Writes the pair: the key first (0600), then the chain. nginx reads both
// only when reloaded, after both are in place.
void write_pair(const TlsFiles& f, const std::string& chain, const std::string& key) {
  write_file_atomically(f.privkey, key, 0600);
  write_file_atomically(f.fullchain, chain, 0644);
}

double random_fraction() {
  std::random_device rd;
  return std::uniform_real_distribution<double>(0.0, 1.0)(rd);
}

int random_check_offset() {
  std::random_device rd;
  return std::uniform_int_distribution<int>(0, 719)(rd) * 60;  // a random minute of the 12 h
}

}  // namespace

TlsFiles::TlsFiles(const std::string& root)
    : dir(under_root(root, paths::kTlsDir)),
      fullchain(under_root(root, paths::kTlsFullchain)),
      privkey(under_root(root, paths::kTlsPrivkey)),
      record(under_root(root, paths::kAcmeRecord)),
      certbot{under_root(root, paths::kLetsEncryptDir), under_root(root, paths::kAcmeWebroot)} {}

std::string ensure_placeholder(const std::string& root, const std::vector<std::string>& names) {
  const TlsFiles f(root);
  try {
    std::error_code ec;
    fs::create_directories(f.certbot.webroot + "/.well-known/acme-challenge", ec);
    fs::create_directories(f.dir, ec);
    fs::create_directories(f.certbot.config_dir, ec);
    ::chmod(f.dir.c_str(), 0755);
    ::chmod(f.certbot.config_dir.c_str(), 0700);  // the ACME account key lives there
    const std::string chain = read_text(f.fullchain), key = read_text(f.privkey);
    if (inspect_pem(chain) && key_matches(chain, key)) return "";
    PemPair pair = make_placeholder(names);
    write_pair(f, pair.chain, pair.key);
    spdlog::info("installed a self-signed placeholder certificate at {} (until a certificate is issued)", f.fullchain);
    return "";
  } catch (const std::exception& e) {
    return std::string("cannot install the placeholder certificate: ") + e.what();
  }
}

AcmeRenewal::AcmeRenewal(const std::optional<Config>& config, StatusBoard& board, SystemdClient& systemd,
                         CommandRunner& commands, const std::string& root, std::unique_ptr<ChildRunner> child)
    : config_(config), board_(board), systemd_(systemd), commands_(commands), root_(root), files_(root),
      child_(std::move(child)) {
  // Before the first reload: an acme site file must find a pair to serve.
  if (auto problem = ensure_placeholder(root); !problem.empty()) spdlog::error("{}", problem);
}

RenewalRecord AcmeRenewal::read_record() const {
  RenewalRecord r;
  std::ifstream in(files_.record);
  if (in) {
    try {
      auto j = nlohmann::json::parse(in);
      r.failures = j.value("failures", 0);
      r.last_attempt = j.value("last_attempt", time_t{0});
      r.last_success = j.value("last_success", time_t{0});
      r.last_error = j.value("last_error", std::string());
      r.settings = j.value("settings", std::string());
      r.check_offset = j.value("check_offset", -1);
      r.jitter = j.value("jitter", 0.0);
      r.forced = j.value("forced", false);
    } catch (const std::exception& e) {
      spdlog::warn("{} is not readable JSON ({}); starting a fresh renewal record", files_.record, e.what());
    }
  }
  if (r.check_offset < 0) {  // drawn once per instance, kept
    r.check_offset = random_check_offset();
    r.jitter = random_fraction();
    write_record(r);
  }
  return r;
}

void AcmeRenewal::write_record(const RenewalRecord& r) const {
  nlohmann::json j = {{"failures", r.failures},         {"last_attempt", r.last_attempt},
                      {"last_success", r.last_success}, {"last_error", r.last_error},
                      {"settings", r.settings},         {"check_offset", r.check_offset},
                      {"jitter", r.jitter},             {"forced", r.forced}};
  try {
    write_file_atomically(files_.record, j.dump() + "\n", 0644);
  } catch (const std::exception& e) {
    spdlog::warn("cannot write {}: {}", files_.record, e.what());
  }
}

std::string AcmeRenewal::settings_of(const TlsConfig& tls) const {
  return tls.acme_directory + " " + join(tls.domains, ",") + " " + tls.acme_ca_bundle;
}

std::optional<CertInfo> AcmeRenewal::live_certificate() const { return inspect_pem(read_text(files_.fullchain)); }

time_t AcmeRenewal::next_due(time_t now) {
  publish(now);
  if (!config_) return 0;
  const auto& tls = config_->tls;
  if (tls.mode == TlsMode::Manual) return next_check(now, read_record().check_offset);  // refresh the verdict
  if (tls.mode != TlsMode::Acme) return 0;
  const RenewalRecord r = read_record();
  return decide(now, live_certificate(), tls.domains, r, settings_of(tls)).next_run;
}

void AcmeRenewal::run(time_t now) { attempt(now, Trigger::Scheduled); }

ControlAnswer AcmeRenewal::renew_now(time_t now, bool force) {
  return attempt(now, force ? Trigger::Forced : Trigger::Requested);
}

ControlAnswer AcmeRenewal::attempt(time_t now, Trigger trigger) {
  if (!config_ || config_->tls.mode != TlsMode::Acme) {
    publish(now);
    return {false, "nothing to renew: tls.mode is not \"acme\"", {}, false};
  }
  const TlsConfig& tls = config_->tls;
  if (auto problem = ensure_placeholder(root_, tls.domains); !problem.empty()) spdlog::error("{}", problem);
  RenewalRecord rec = read_record();
  const std::string settings = settings_of(tls);
  const auto live = live_certificate();
  const Decision d = decide(now, live, tls.domains, rec, settings);
  if (trigger == Trigger::Scheduled && !d.due) {
    spdlog::debug("certificate check: {}; next attempt {}", d.why, iso_utc(d.next_attempt));
    publish(now);
    return {true, "not due", {}, false};
  }
  if (trigger == Trigger::Requested && !d.needed) {
    publish(now);
    return {true, "not due: the certificate (serial " + (live ? live->serial : "?") + ") renews at " +
                      iso_utc(d.next_attempt) + "; `radflare renew --force` renews now",
            {}, false};
  }
  if (rec.settings != settings) {  // new settings: a fresh start, no backoff from the old ones
    rec.failures = 0;
    rec.settings = settings;
  }
  const std::string why = trigger == Trigger::Forced ? "forced" : trigger == Trigger::Requested ? "requested" : d.why;
  spdlog::info("requesting a certificate for {} from {} ({})", join(tls.domains), tls.acme_directory, why);
  rec.last_attempt = now;
  if (trigger == Trigger::Forced) rec.forced = true;  // until it succeeds

  const auto argv = certbot_argv(tls, files_.certbot);
  const auto env = certbot_env(tls);
  // certbot's output, plus the CA's error from its debug log when it hid it.
  auto run_certbot = [&] {
    const time_t started = time(nullptr);
    ChildResult result = child_->run(argv, env, certbot_deadline);
    struct stat st{};
    const std::string log = files_.certbot.logs_dir() + "/letsencrypt.log";
    if (result.exit_code != 0 && ::stat(log.c_str(), &st) == 0 && st.st_mtime >= started)
      if (auto ca = last_ca_error(read_text(log)); !ca.empty())
        result.output += "\nAn unexpected error occurred:\n" + ca + "\n";
    return result;
  };
  ChildResult r = run_certbot();
  if (r.exit_code != 0 && !r.timed_out && account_unknown(r.output)) {
    // The CA lost the account (a CA reset; pebble keeps accounts in memory):
    // forget it and register again.
    const std::string account = account_dir(files_.certbot, tls.acme_directory);
    spdlog::warn("the ACME server does not know the stored account; registering a new one ({} removed)", account);
    std::error_code ec;
    fs::remove_all(account, ec);
    r = run_certbot();
  }
  std::string problem = r.exit_code == 0 ? install_lineage(tls.domains)
                                         : summarize_failure(r.output, r.exit_code, r.timed_out, tls.acme_directory);
  ControlAnswer answer;
  if (problem.empty()) {
    const auto now_live = live_certificate();
    rec.failures = 0;
    rec.forced = false;
    rec.last_error.clear();
    rec.last_success = now;
    rec.jitter = random_fraction();  // the next renewal's place in its window
    answer.ok = true;
    answer.summary = "certificate installed for " + join(tls.domains) + ": serial " +
                     (now_live ? now_live->serial : "?") + ", valid until " +
                     (now_live ? iso_utc(now_live->not_after) : "?") + "; nginx reloaded";
    spdlog::info("{}", answer.summary);
  } else {
    rec.failures += 1;
    rec.last_error = problem;
    const time_t next = rec.last_attempt + retry_delay(rec.failures);
    answer.ok = false;
    answer.summary = "certificate renewal failed: " + problem;
    answer.details.push_back("still serving " +
                             (live ? (live->placeholder ? std::string("the self-signed placeholder")
                                                        : "serial " + live->serial + ", valid until " + iso_utc(live->not_after))
                                   : std::string("the previous files")));
    answer.details.push_back("failure " + std::to_string(rec.failures) + " in a row; next attempt at " + iso_utc(next) +
                             " (in " + human_duration(next - now) + ")");
    spdlog::error("{} ({}; {})", answer.summary, answer.details[0], answer.details[1]);
  }
  write_record(rec);
  publish(now);
  return answer;
}

std::string AcmeRenewal::install_lineage(const std::vector<std::string>& domains) {
  const std::string lineage = files_.certbot.lineage_dir();
  const std::string chain = read_text(lineage + "/fullchain.pem"), key = read_text(lineage + "/privkey.pem");
  std::string why;
  auto info = inspect_pem(chain, &why);
  if (!info) return "certbot succeeded but " + lineage + "/fullchain.pem is not a certificate: " + why;
  if (!info->covers(domains)) return "the issued certificate does not cover " + join(domains) + " (it names " + join(info->names) + ")";
  if (!key_matches(chain, key)) return "the issued certificate and " + lineage + "/privkey.pem do not match";

  const std::string old_chain = read_text(files_.fullchain), old_key = read_text(files_.privkey);
  auto put_back = [&] {
    if (!old_chain.empty() && !old_key.empty()) write_pair(files_, old_chain, old_key);
  };
  try {
    write_pair(files_, chain, key);
  } catch (const std::exception& e) {
    put_back();
    return std::string("cannot install the new certificate: ") + e.what();
  }
  std::string output;
  if (commands_.run({"nginx", "-t", "-q"}, output) != 0) {
    put_back();
    for (auto& c : output) c = c == '\n' ? ' ' : c;
    return "nginx rejected the new certificate (the previous one is back): " + output;
  }
  JobOutcome j = systemd_.job("ReloadOrRestartUnit", "nginx.service");
  if (!j.ok) {
    put_back();
    return "reloading nginx.service failed (" + j.describe() + "); the previous certificate is back";
  }
  wait_until_served(info->serial, domains.front());
  return "";
}

void AcmeRenewal::wait_until_served(const std::string& serial, const std::string& server_name) {
  // The reload job ends before nginx's old workers stop taking connections
  // (20-250 ms here): `radflare renew` returns once a client gets the new pair.
  if (!config_) return;
  const auto until = std::chrono::steady_clock::now() + serve_deadline;
  while (served_serial(config_->web.https_port, server_name) != serial) {
    if (std::chrono::steady_clock::now() >= until) {
      spdlog::warn("nginx still serves another certificate than serial {} {} ms after its reload", serial,
                   serve_deadline.count());
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void AcmeRenewal::publish(time_t now) {
  nlohmann::json j;
  if (!config_) return;  // no configuration applied yet: nothing to say
  const TlsConfig& tls = config_->tls;
  j["mode"] = tls.mode == TlsMode::Acme ? "acme" : tls.mode == TlsMode::Manual ? "manual" : "off";
  if (tls.mode == TlsMode::Off) {
    board_.publish("tls", std::move(j));
    return;
  }
  j["domains"] = tls.domains;
  std::optional<CertInfo> cert;
  RenewalRecord rec;
  if (tls.mode == TlsMode::Manual) {
    cert = inspect_pem(read_text(tls.cert_file));
    j["cert_file"] = tls.cert_file;
  } else {
    cert = live_certificate();
    rec = read_record();
    j["acme_directory"] = tls.acme_directory;
    const Decision d = decide(now, cert, tls.domains, rec, settings_of(tls));
    j["next_attempt"] = iso_or_null(d.next_attempt);
    j["next_check"] = iso_or_null(d.next_run);
    j["last_attempt"] = iso_or_null(rec.last_attempt);
    j["last_success"] = iso_or_null(rec.last_success);
    j["failures"] = rec.failures;
    j["last_error"] = rec.last_error;
  }
  j["issuer"] = cert ? nlohmann::json(cert->issuer) : nlohmann::json(nullptr);
  j["subject"] = cert ? nlohmann::json(cert->subject) : nlohmann::json(nullptr);
  j["serial"] = cert ? nlohmann::json(cert->serial) : nlohmann::json(nullptr);
  j["not_before"] = cert ? iso_or_null(cert->not_before) : nullptr;
  j["not_after"] = cert ? iso_or_null(cert->not_after) : nullptr;
  j["names"] = cert ? cert->names : std::vector<std::string>{};
  j["placeholder"] = cert && cert->placeholder;
  const Health h = assess(now, cert, rec.last_error);
  j["verdict"] = to_string(h.verdict);
  j["reason"] = h.reason;
  j["checked"] = iso_utc(now);
  board_.publish("tls", std::move(j));
}

}  // namespace radflare::acme
