#include "acme/schedule.h"

#include <algorithm>

namespace radflare::acme {

namespace {
constexpr time_t kMinute = 60, kHour = 3600, kDay = 86400;
constexpr time_t kHalfDay = 12 * kHour;
}  // namespace

time_t retry_delay(int failures) {
  switch (failures) {
    case 0: return 0;
    case 1: return kMinute;
    case 2: return 10 * kMinute;
    case 3: return 100 * kMinute;
    default: return 6 * kHour;
  }
}

time_t renew_time(const CertInfo& cert, double jitter) {
  const time_t lifetime = std::max<time_t>(cert.lifetime(), 0);
  jitter = std::clamp(jitter, 0.0, 1.0);
  return cert.not_after - lifetime / 3 - static_cast<time_t>(jitter * static_cast<double>(lifetime) / 20.0);
}

time_t next_check(time_t now, int check_offset) {
  const time_t offset = std::clamp<time_t>(check_offset, 0, kHalfDay - 1);
  time_t t = now - (now % kHalfDay) + offset;  // this half-day's check (epoch is 00:00 UTC)
  while (t <= now) t += kHalfDay;
  return t;
}

Decision decide(time_t now, const std::optional<CertInfo>& live, const std::vector<std::string>& domains,
                const RenewalRecord& record, const std::string& settings) {
  Decision d;
  time_t renew_at = now;
  if (!live) {
    d.why = "no readable certificate";
  } else if (live->placeholder) {
    d.why = "no certificate issued yet";
  } else if (!live->covers(domains)) {
    d.why = "the certificate does not cover every configured domain";
  } else if (record.forced) {
    d.why = "a forced renewal has not succeeded yet";
  } else {
    renew_at = renew_time(*live, record.jitter);
    d.why = now >= live->not_after ? "the certificate has expired" : "a third of its lifetime is left";
  }
  d.needed = now >= renew_at;
  const time_t retry_at =
      record.failures > 0 && record.settings == settings ? record.last_attempt + retry_delay(record.failures) : 0;
  d.due = d.needed && now >= retry_at;
  d.next_attempt = std::max({renew_at, retry_at, now});
  d.next_run = std::min(d.next_attempt, next_check(now, record.check_offset));
  if (!d.needed) d.why = "not due";
  return d;
}

const char* to_string(Verdict v) {
  switch (v) {
    case Verdict::Green: return "green";
    case Verdict::Amber: return "amber";
    case Verdict::Red: return "red";
  }
  return "red";
}

std::string human_duration(time_t s) {
  if (s < 0) s = -s;
  if (s >= 2 * kDay) return std::to_string(s / kDay) + " days";
  if (s >= 2 * kHour) return std::to_string(s / kHour) + " h";
  if (s >= 2 * kMinute) return std::to_string(s / kMinute) + " min";
  return std::to_string(s) + " s";
}

Health assess(time_t now, const std::optional<CertInfo>& live, const std::string& last_error) {
  const std::string failing = last_error.empty() ? "" : "; renewal failing: " + last_error;
  if (!live) return {Verdict::Red, "no readable certificate" + failing};
  if (live->placeholder)
    return {Verdict::Red, "no certificate issued yet (serving the self-signed placeholder)" + failing};
  const time_t left = live->not_after - now;
  if (left <= 0) return {Verdict::Red, "expired " + human_duration(left) + " ago" + failing};
  const std::string text = human_duration(left) + " left";
  if (left < 3 * kDay) return {Verdict::Red, text + failing};
  if (left < 14 * kDay || !last_error.empty()) return {Verdict::Amber, text + failing};
  return {Verdict::Green, text};
}

}  // namespace radflare::acme
