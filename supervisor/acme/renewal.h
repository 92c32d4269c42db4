// tls.mode = "acme", run by the supervisor: issuance, renewal on schedule
// (acme/schedule.h), failure handling, and the "tls" section of the status.
//
// The pair nginx serves is always ROOT/var/lib/radflare/tls/{fullchain,privkey}.pem,
// so the rendered site is the same before and after issuance and nginx
// always starts:
//   - until a certificate is issued it is a self-signed placeholder, made
//     with OpenSSL when the file is missing (at supervisor start, and by
//     `radflare render` for an acme config, i.e. at first boot), so HTTPS
//     answers at once and port 80 serves the challenge webroot;
//   - certbot (acme/certbot.h) writes its lineage under
//     /var/lib/radflare/letsencrypt; after it succeeds the new pair is
//     checked (parses, covers the domains, key matches), written over the
//     live pair atomically (temp + rename), `nginx -t`, then nginx reloaded
//     gracefully over systemd; any failure puts the previous pair back;
//   - a failure (CA unreachable, challenge refused, timeout) changes
//     nothing that is served: the current (or placeholder) certificate stays,
//     the cause goes to the journal and the status, and the next attempt
//     follows the backoff.
// The record (renewal.json beside the pair) keeps the backoff state and the
// random check minute across restarts and reboots.
#pragma once

#include <chrono>
#include <ctime>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "acme/certbot.h"
#include "acme/certificate.h"
#include "acme/schedule.h"
#include "config/config.h"
#include "daemon/control.h"
#include "daemon/status_board.h"
#include "daemon/task.h"
#include "probe/probe.h"
#include "process/child.h"
#include "systemd/systemd_client.h"

namespace radflare::acme {

// The live pair, the certbot state and the record under `root` ("/" live).
struct TlsFiles {
  explicit TlsFiles(const std::string& root);
  std::string dir, fullchain, privkey, record;
  CertbotPaths certbot;
};

// Makes the webroot and the live folder, and the placeholder pair when the
// live pair is missing or unreadable. Returns "" or what failed.
std::string ensure_placeholder(const std::string& root, const std::vector<std::string>& names = {});

class AcmeRenewal final : public radflare::DaemonTask {
 public:
  // `config`: the running configuration (Reloader::current()), read at each run.
  AcmeRenewal(const std::optional<Config>& config, StatusBoard& board, SystemdClient& systemd,
              CommandRunner& commands, const std::string& root,
              std::unique_ptr<ChildRunner> child = std::make_unique<RealChildRunner>());

  std::string name() const override { return "certificate renewal"; }
  time_t next_due(time_t now) override;  // also republishes the "tls" section
  void run(time_t now) override;
  // `radflare renew [--force]`: renew now if due (ignoring the backoff), or
  // even if not due with force; a forced renewal that fails is retried on
  // the backoff until it succeeds.
  ControlAnswer renew_now(time_t now, bool force);
  void publish(time_t now);

  std::chrono::milliseconds certbot_deadline{120000};
  // After nginx's reload: how a client sees the certificate (certificate.h),
  // and how long to wait for the new one. Replaced in tests (no nginx).
  std::function<std::string(int port, const std::string& server_name)> served_serial = acme::served_serial;
  std::chrono::milliseconds serve_deadline{10000};

 private:
  enum class Trigger { Scheduled, Requested, Forced };
  ControlAnswer attempt(time_t now, Trigger trigger);
  std::string install_lineage(const std::vector<std::string>& domains);
  void wait_until_served(const std::string& serial, const std::string& server_name);
  std::optional<CertInfo> live_certificate() const;
  RenewalRecord read_record() const;
  void write_record(const RenewalRecord& record) const;
  std::string settings_of(const TlsConfig& tls) const;

  const std::optional<Config>& config_;
  StatusBoard& board_;
  SystemdClient& systemd_;
  CommandRunner& commands_;
  std::string root_;
  TlsFiles files_;
  std::unique_ptr<ChildRunner> child_;
};

}  // namespace radflare::acme
