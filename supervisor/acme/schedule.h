// When to renew, when to retry, how worried to be: the pure part of the
// ACME renewal (no clock, no disk, no randomness of its own), so every rule
// is tested with made-up times.
//
//   renew     when a third of the certificate's lifetime remains, up to a
//             twentieth of the lifetime earlier (a random fraction drawn per
//             certificate: many appliances do not all renew at once). A
//             lifetime of 90 days renews 30-34.5 days before expiry; 300 s
//             (pebble in the tests) at 85-100 s before.
//   check     twice a day at a random minute (12 h apart), also when nothing
//             is due: the status is refreshed and a changed certificate seen.
//   retry     after a failure 1 min, 10 min, 100 min, then every 6 h (also a
//             failed `radflare renew --force`, until it succeeds): at most
//             3 attempts in the first hour (Let's Encrypt allows 5 failed
//             validations per account, hostname and hour).
//   verdict   red without a real certificate, under 3 days left or expired;
//             amber under 14 days left or while renewals fail; else green.
#pragma once

#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "acme/certificate.h"

namespace radflare::acme {

// What the supervisor remembers between runs and reboots (renewal.json).
struct RenewalRecord {
  int failures = 0;        // consecutive failed attempts
  time_t last_attempt = 0;
  time_t last_success = 0;
  std::string last_error;  // one line, for the operator; never a secret
  std::string settings;    // the ACME settings the failures happened with
  int check_offset = -1;   // seconds after 00:00 and 12:00 UTC of the twice-daily check; -1 = not drawn yet
  double jitter = 0;       // [0, 1): how early in its window this certificate renews
  bool forced = false;     // `radflare renew --force` failed: retried on the backoff until it succeeds
};

// Seconds to wait after the n-th consecutive failure (0 for none).
time_t retry_delay(int failures);
// When a certificate with this validity is due for renewal.
time_t renew_time(const CertInfo& cert, double jitter);
// The first twice-daily check strictly after `now`.
time_t next_check(time_t now, int check_offset);

struct Decision {
  bool needed = false;       // renewal due now, backoff aside
  bool due = false;          // an attempt should run now (needed and not backing off)
  time_t next_attempt = 0;   // when the next certbot run is planned (now or later)
  time_t next_run = 0;       // when the task next wakes: next_attempt or the next check
  std::string why;           // "no certificate issued yet", "a third of the lifetime left", …
};

// `live`: the certificate nginx serves (nullopt when unreadable). `settings`:
// directory + names now configured; a change since the last failure ends
// the backoff (a corrected setting is tried at once).
Decision decide(time_t now, const std::optional<CertInfo>& live, const std::vector<std::string>& domains,
                const RenewalRecord& record, const std::string& settings);

enum class Verdict { Green, Amber, Red };
const char* to_string(Verdict v);

struct Health {
  Verdict verdict = Verdict::Red;
  std::string reason;  // "12 days left", "expired 3 min ago", "no certificate issued yet (…)"
};
Health assess(time_t now, const std::optional<CertInfo>& live, const std::string& last_error);

// "3 days", "5 h", "12 min", "40 s": a duration for people.
std::string human_duration(time_t seconds);

}  // namespace radflare::acme
