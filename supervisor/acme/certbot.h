// How the supervisor drives certbot (Debian's, a field-standard ACME
// client): the command line, the environment, and one line for the operator
// out of certbot's output. Pure, so tested without certbot.
//
// certbot keeps its account and certificates under our own --config-dir
// (/var/lib/radflare/letsencrypt, persistent): one lineage named "radflare"
// for all configured domains. The supervisor decides when to renew, so each
// run is `certonly --force-renewal` (certbot's own 30-day rule does not
// apply); Debian's certbot.timer is masked in the image. certbot 2.1 has no
// ARI (RFC 9773 renewal info): the schedule uses the certificate's lifetime.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "config/config.h"

namespace radflare::acme {

inline constexpr const char* kLineage = "radflare";

struct CertbotPaths {
  std::string config_dir;  // ROOT/var/lib/radflare/letsencrypt
  std::string webroot;     // ROOT/var/lib/radflare/acme-webroot

  std::string work_dir() const { return config_dir + "/work"; }
  std::string logs_dir() const { return config_dir + "/logs"; }
  std::string lineage_dir() const { return config_dir + "/live/" + kLineage; }
};

std::vector<std::string> certbot_argv(const TlsConfig& tls, const CertbotPaths& paths);
std::map<std::string, std::string> certbot_env(const TlsConfig& tls);

// Where certbot keeps the account for this directory URL (deleted when the
// CA says the account does not exist, e.g. a CA that lost its state).
std::string account_dir(const CertbotPaths& paths, const std::string& directory_url);
bool account_unknown(const std::string& output);

// The CA's last error in certbot's debug log ("acme.messages.Error: …"), or
// "". certbot 2.1 sometimes prints only "AttributeError: can't set attribute"
// (a josepy clash while it handles the CA's error); the log has the cause.
std::string last_ca_error(const std::string& log);

// One line saying why certbot failed, from its output (no secrets: certbot
// prints none).
std::string summarize_failure(const std::string& output, int exit_code, bool timed_out, const std::string& directory);

}  // namespace radflare::acme
