#include "acme/certbot.h"

#include <sstream>

namespace radflare::acme {

namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

std::string squeeze(const std::string& s) {  // "Type:   connection" -> "Type: connection"
  std::string out;
  for (char c : s)
    if (!(c == ' ' && !out.empty() && out.back() == ' ')) out += c;
  return out;
}

bool contains(const std::string& s, const char* what) { return s.find(what) != std::string::npos; }

std::string clip(std::string s, size_t max = 400) {
  if (s.size() > max) s = s.substr(0, max - 3) + "...";
  return s;
}

}  // namespace

std::vector<std::string> certbot_argv(const TlsConfig& tls, const CertbotPaths& paths) {
  std::vector<std::string> argv = {"certbot", "certonly",
                                   "--non-interactive", "--agree-tos",
                                   "--webroot", "-w", paths.webroot,
                                   "--config-dir", paths.config_dir,
                                   "--work-dir", paths.work_dir(),
                                   "--logs-dir", paths.logs_dir(),
                                   "--server", tls.acme_directory,
                                   "--cert-name", kLineage,
                                   // the supervisor decides when: renew whenever it runs certbot
                                   "--force-renewal", "--renew-with-new-domains",
                                   "--no-random-sleep-on-renew", "--no-eff-email",
                                   "--max-log-backups", "20"};
  if (tls.email.empty()) {
    argv.push_back("--register-unsafely-without-email");
  } else {
    argv.push_back("--email");
    argv.push_back(tls.email);
  }
  for (const auto& d : tls.domains) {
    argv.push_back("-d");
    argv.push_back(d);
  }
  return argv;
}

std::map<std::string, std::string> certbot_env(const TlsConfig& tls) {
  std::map<std::string, std::string> env;
  // certbot talks to the CA with python-requests, which trusts this bundle.
  if (!tls.acme_ca_bundle.empty()) env["REQUESTS_CA_BUNDLE"] = tls.acme_ca_bundle;
  return env;
}

std::string account_dir(const CertbotPaths& paths, const std::string& directory_url) {
  // certbot: config_dir/accounts/<netloc><path> (configuration.py, server_path)
  std::string rest = directory_url;
  if (auto p = rest.find("://"); p != std::string::npos) rest = rest.substr(p + 3);
  if (auto q = rest.find_first_of("?#"); q != std::string::npos) rest.resize(q);
  return paths.config_dir + "/accounts/" + rest;
}

bool account_unknown(const std::string& output) {
  return contains(output, "accountDoesNotExist") || (contains(output, "Account") && contains(output, "not found")) ||
         contains(output, "account that does not exist");
}

std::string last_ca_error(const std::string& log) {
  const auto at = log.rfind("acme.messages.Error: ");
  if (at == std::string::npos) return "";
  return trim(log.substr(at, log.find('\n', at) - at));
}

std::string summarize_failure(const std::string& output, int exit_code, bool timed_out, const std::string& directory) {
  if (timed_out) return "certbot did not finish in time (the ACME directory " + directory + " does not answer?)";
  std::istringstream in(output);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);)
    if (auto t = trim(l); !t.empty()) lines.push_back(t);

  // A failed challenge: "Domain: X", "Type: connection", "Detail: …".
  std::string challenge;
  for (const auto& l : lines)
    if (l.starts_with("Domain:") || l.starts_with("Type:") || l.starts_with("Detail:"))
      challenge += (challenge.empty() ? "" : "; ") + squeeze(l);
  if (!challenge.empty()) return clip("the CA could not validate the http-01 challenge: " + challenge);

  std::string cause;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].starts_with("An unexpected error occurred") && i + 1 < lines.size()) cause = lines[i + 1];
    if (cause.empty() && (lines[i].starts_with("Error") || contains(lines[i], "error:"))) cause = lines[i];
  }
  if (cause.empty()) {
    for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
      if (it->starts_with("Ask for help") || it->starts_with("See the logfile") || it->starts_with("Saving debug log"))
        continue;
      cause = *it;
      break;
    }
  }
  // certbot 2.1 says "ValueError: Requesting HOST/PATH: Connection refused"
  // when the directory cannot be fetched; requests' own errors otherwise.
  if (contains(cause, "Requesting ") || contains(cause, "Connection refused") ||
      contains(cause, "ConnectionError") || contains(cause, "Max retries exceeded") ||
      contains(cause, "Failed to establish") || contains(cause, "Name or service not known") ||
      contains(cause, "timed out") || contains(cause, "SSLError") || contains(cause, "CERTIFICATE_VERIFY_FAILED")) {
    std::string why = contains(cause, "Connection refused")            ? "connection refused"
                      : contains(cause, "Name or service not known")   ? "name not found"
                      : contains(cause, "CERTIFICATE_VERIFY_FAILED")   ? "its HTTPS certificate is not trusted (tls.acme_ca_bundle?)"
                      : contains(cause, "timed out")                   ? "timed out"
                      : contains(cause, "No route to host")            ? "no route to host"
                      : contains(cause, "Network is unreachable")      ? "network unreachable"
                                                                       : "connection failed";
    return clip("cannot reach the ACME directory " + directory + " (" + why + "): " + cause);
  }
  if (cause.empty()) cause = "no output";
  return clip("certbot failed (exit " + std::to_string(exit_code) + "): " + cause);
}

}  // namespace radflare::acme
