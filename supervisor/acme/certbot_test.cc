#include "acme/certbot.h"

#include <doctest/doctest.h>

#include <algorithm>

using namespace radflare;
using namespace radflare::acme;

namespace {

bool has_pair(const std::vector<std::string>& argv, const std::string& flag, const std::string& value) {
  for (size_t i = 0; i + 1 < argv.size(); ++i)
    if (argv[i] == flag && argv[i + 1] == value) return true;
  return false;
}
bool has(const std::vector<std::string>& argv, const std::string& flag) {
  return std::find(argv.begin(), argv.end(), flag) != argv.end();
}

}  // namespace

TEST_CASE("acme: certbot's command line: own dirs, webroot, server, names, never sleeps, never asks") {
  TlsConfig tls;
  tls.mode = TlsMode::Acme;
  tls.domains = {"pacs.test", "alt.test"};
  tls.email = "ops@example.com";
  tls.acme_directory = "https://10.0.0.1:14000/dir";
  CertbotPaths paths{"/r/var/lib/radflare/letsencrypt", "/r/var/lib/radflare/acme-webroot"};
  auto argv = certbot_argv(tls, paths);
  CHECK(argv.at(0) == "certbot");
  CHECK(argv.at(1) == "certonly");
  CHECK(has(argv, "--non-interactive"));
  CHECK(has(argv, "--agree-tos"));
  CHECK(has(argv, "--no-random-sleep-on-renew"));
  CHECK(has(argv, "--force-renewal"));
  CHECK(has_pair(argv, "-w", "/r/var/lib/radflare/acme-webroot"));
  CHECK(has_pair(argv, "--config-dir", "/r/var/lib/radflare/letsencrypt"));
  CHECK(has_pair(argv, "--work-dir", "/r/var/lib/radflare/letsencrypt/work"));
  CHECK(has_pair(argv, "--logs-dir", "/r/var/lib/radflare/letsencrypt/logs"));
  CHECK(has_pair(argv, "--server", "https://10.0.0.1:14000/dir"));
  CHECK(has_pair(argv, "--cert-name", "radflare"));
  CHECK(has_pair(argv, "--email", "ops@example.com"));
  CHECK(has_pair(argv, "-d", "pacs.test"));
  CHECK(has_pair(argv, "-d", "alt.test"));
  CHECK(paths.lineage_dir() == "/r/var/lib/radflare/letsencrypt/live/radflare");
  CHECK(certbot_env(tls).empty());

  tls.email.clear();
  tls.acme_ca_bundle = "/etc/radflare/pebble.pem";
  argv = certbot_argv(tls, paths);
  CHECK(has(argv, "--register-unsafely-without-email"));
  CHECK(certbot_env(tls).at("REQUESTS_CA_BUNDLE") == "/etc/radflare/pebble.pem");
  CHECK(account_dir(paths, "https://10.0.0.1:14000/dir") == "/r/var/lib/radflare/letsencrypt/accounts/10.0.0.1:14000/dir");
  CHECK(account_dir(paths, "https://acme-v02.api.letsencrypt.org/directory") ==
        "/r/var/lib/radflare/letsencrypt/accounts/acme-v02.api.letsencrypt.org/directory");
}

TEST_CASE("acme: certbot's failures in one line") {
  const std::string dir = "https://10.0.0.1:14000/dir";
  const std::string challenge = R"(Saving debug log to /var/lib/radflare/letsencrypt/logs/letsencrypt.log
Requesting a certificate for pacs.test

Certbot failed to authenticate some domains (authenticator: webroot). The Certificate Authority reported these problems:
  Domain: pacs.test
  Type:   connection
  Detail: 10.0.0.1: Fetching http://pacs.test/.well-known/acme-challenge/abc: Connection refused

Hint: The Certificate Authority failed to download the temporary challenge files created by Certbot.

Some challenges have failed.
Ask for help or search for solutions at https://community.letsencrypt.org. See the logfile /x for more details.
)";
  std::string s = summarize_failure(challenge, 1, false, dir);
  CHECK(s.starts_with("the CA could not validate the http-01 challenge: Domain: pacs.test; Type: connection; Detail: "));
  CHECK(s.find("Connection refused") != std::string::npos);

  const std::string unreachable = R"(Saving debug log to /x/letsencrypt.log
An unexpected error occurred:
requests.exceptions.ConnectionError: HTTPSConnectionPool(host='10.0.0.1', port=1): Max retries exceeded with url: /dir (Caused by NewConnectionError('<urllib3.connection.HTTPSConnection object at 0x7f>: Failed to establish a new connection: [Errno 111] Connection refused'))
Ask for help or search for solutions at https://community.letsencrypt.org. See the logfile /x for more details.
)";
  s = summarize_failure(unreachable, 1, false, dir);
  CHECK(s.starts_with("cannot reach the ACME directory https://10.0.0.1:14000/dir (connection refused): "));
  CHECK(s.size() <= 400);

  // certbot 2.1 when the directory cannot be fetched (seen against a stopped pebble)
  s = summarize_failure("Saving debug log to /x\nAn unexpected error occurred:\nValueError: Requesting 10.0.0.1/dir: "
                        "Connection refused\nAsk for help or search for solutions at https://community.letsencrypt.org.\n",
                        1, false, dir);
  CHECK(s == "cannot reach the ACME directory https://10.0.0.1:14000/dir (connection refused): ValueError: Requesting "
             "10.0.0.1/dir: Connection refused");
  CHECK(summarize_failure("", -1, true, dir).starts_with("certbot did not finish in time"));
  CHECK(summarize_failure("", 1, false, dir) == "certbot failed (exit 1): no output");
  CHECK(summarize_failure("cannot run certbot: No such file or directory", -1, false, dir) ==
        "certbot failed (exit -1): cannot run certbot: No such file or directory");

  CHECK(account_unknown("acme.messages.Error: urn:ietf:params:acme:error:accountDoesNotExist :: The request specified an account that does not exist :: Account \"x\" not found."));
  CHECK_FALSE(account_unknown(challenge));
  // certbot 2.1 + josepy hide the CA's error behind an AttributeError; its log has it.
  const std::string log = "2026-11-30 14:21:49,080:DEBUG:certbot._internal.log:Exiting abnormally:\nTraceback (most recent call last):\n"
                          "    raise messages.Error.from_json(jobj)\nacme.messages.Error: urn:ietf:params:acme:error:accountDoesNotExist :: "
                          "The request specified an account that does not exist :: Account https://ca/my-account/7 not found.\n"
                          "During handling of the above exception, another exception occurred:\nAttributeError: can't set attribute\n";
  CHECK(last_ca_error(log) == "acme.messages.Error: urn:ietf:params:acme:error:accountDoesNotExist :: The request specified "
                              "an account that does not exist :: Account https://ca/my-account/7 not found.");
  CHECK(account_unknown(last_ca_error(log)));
  CHECK(last_ca_error("no error here").empty());
  s = summarize_failure("An unexpected error occurred:\nAttributeError: can't set attribute\n"
                        "An unexpected error occurred:\nacme.messages.Error: urn:ietf:params:acme:error:rateLimited :: too many\n",
                        1, false, dir);
  CHECK(s == "certbot failed (exit 1): acme.messages.Error: urn:ietf:params:acme:error:rateLimited :: too many");
}
