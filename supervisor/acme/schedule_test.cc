#include "acme/schedule.h"

#include <doctest/doctest.h>

using namespace radflare::acme;

namespace {

constexpr time_t T0 = 1'750'000'000;  // 2025-06-15, a Sunday
constexpr time_t kDay = 86400;

CertInfo cert(time_t not_before, time_t lifetime, std::vector<std::string> names = {"pacs.test"}) {
  CertInfo c;
  c.not_before = not_before;
  c.not_after = not_before + lifetime;
  c.names = std::move(names);
  c.serial = "01";
  return c;
}

const std::vector<std::string> kDomains = {"pacs.test"};
const std::string kSettings = "https://ca/dir pacs.test";

}  // namespace

TEST_CASE("acme: the backoff after failures is 1 min, 10 min, 100 min, then 6 h") {
  CHECK(retry_delay(0) == 0);
  CHECK(retry_delay(1) == 60);
  CHECK(retry_delay(2) == 600);
  CHECK(retry_delay(3) == 6000);
  CHECK(retry_delay(4) == 6 * 3600);
  CHECK(retry_delay(50) == 6 * 3600);
  // At most 3 attempts in the first hour (Let's Encrypt: 5 failed validations per hour).
  CHECK(retry_delay(1) + retry_delay(2) < 3600);
  CHECK(retry_delay(1) + retry_delay(2) + retry_delay(3) > 3600);
}

TEST_CASE("acme: renewal when a third of the lifetime remains, jitter up to a twentieth earlier") {
  CHECK(renew_time(cert(T0, 90 * kDay), 0) == T0 + 60 * kDay);
  CHECK(renew_time(cert(T0, 90 * kDay), 1) == T0 + 60 * kDay - 90 * kDay / 20);
  CHECK(renew_time(cert(T0, 300), 0) == T0 + 200);
  CHECK(renew_time(cert(T0, 300), 0.5) == T0 + 200 - 7);
  CHECK(renew_time(cert(T0, 300), 7) == T0 + 185);  // clamped to [0, 1]
}

TEST_CASE("acme: checks run twice a day at the drawn minute") {
  const time_t midnight = T0 - T0 % kDay;
  CHECK(next_check(midnight, 17 * 60) == midnight + 17 * 60);
  CHECK(next_check(midnight + 17 * 60, 17 * 60) == midnight + 12 * 3600 + 17 * 60);
  CHECK(next_check(midnight + 13 * 3600, 17 * 60) == midnight + kDay + 17 * 60);
  for (time_t now = midnight; now < midnight + 2 * kDay; now += 977) {
    const time_t t = next_check(now, 600);
    CHECK(t > now);
    CHECK(t - now <= 12 * 3600);
    CHECK((t - 600) % (12 * 3600) == 0);
  }
}

TEST_CASE("acme: decisions") {
  RenewalRecord rec;
  rec.check_offset = 0;
  rec.settings = kSettings;

  SUBCASE("no certificate or the placeholder: due at once") {
    Decision d = decide(T0, std::nullopt, kDomains, rec, kSettings);
    CHECK(d.needed);
    CHECK(d.due);
    CHECK(d.next_attempt == T0);
    CHECK(d.next_run == T0);
    CertInfo p = cert(T0 - 10, 10 * 365 * kDay);
    p.placeholder = true;
    d = decide(T0, p, kDomains, rec, kSettings);
    CHECK(d.due);
    CHECK(d.why == "no certificate issued yet");
  }
  SUBCASE("a fresh certificate: next attempt at its renewal time, woken by the twice-daily check before") {
    Decision d = decide(T0, cert(T0 - kDay, 90 * kDay), kDomains, rec, kSettings);
    CHECK_FALSE(d.needed);
    CHECK_FALSE(d.due);
    CHECK(d.next_attempt == T0 + 59 * kDay);
    CHECK(d.next_run == next_check(T0, 0));
  }
  SUBCASE("a 300 s certificate renews at 200 s of age") {
    Decision d = decide(T0 + 100, cert(T0, 300), kDomains, rec, kSettings);
    CHECK_FALSE(d.due);
    CHECK(d.next_run == T0 + 200);
    d = decide(T0 + 200, cert(T0, 300), kDomains, rec, kSettings);
    CHECK(d.due);
  }
  SUBCASE("a certificate that lacks a configured domain is replaced at once") {
    Decision d = decide(T0, cert(T0 - kDay, 90 * kDay), {"pacs.test", "new.test"}, rec, kSettings);
    CHECK(d.due);
  }
  SUBCASE("after failures the attempts follow the backoff") {
    rec.failures = 1;
    rec.last_attempt = T0;
    Decision d = decide(T0 + 30, std::nullopt, kDomains, rec, kSettings);
    CHECK(d.needed);
    CHECK_FALSE(d.due);
    CHECK(d.next_attempt == T0 + 60);
    CHECK(d.next_run == T0 + 60);
    CHECK(decide(T0 + 60, std::nullopt, kDomains, rec, kSettings).due);
    rec.failures = 2;
    CHECK(decide(T0 + 30, std::nullopt, kDomains, rec, kSettings).next_attempt == T0 + 600);
    rec.failures = 3;
    CHECK(decide(T0 + 30, std::nullopt, kDomains, rec, kSettings).next_attempt == T0 + 6000);
    rec.failures = 9;
    CHECK(decide(T0 + 30, std::nullopt, kDomains, rec, kSettings).next_attempt == T0 + 6 * 3600);
    // The backoff never moves a renewal earlier than its time.
    CHECK(decide(T0 + 30, cert(T0, 90 * kDay), kDomains, rec, kSettings).next_attempt == T0 + 60 * kDay);
  }
  SUBCASE("a failed forced renewal is retried on the backoff although the certificate is not due") {
    rec.failures = 1;
    rec.last_attempt = T0;
    rec.forced = true;
    Decision d = decide(T0 + 30, cert(T0 - kDay, 90 * kDay), kDomains, rec, kSettings);
    CHECK(d.needed);
    CHECK_FALSE(d.due);
    CHECK(d.next_attempt == T0 + 60);
    CHECK(decide(T0 + 60, cert(T0 - kDay, 90 * kDay), kDomains, rec, kSettings).due);
  }
  SUBCASE("changed settings end the backoff") {
    rec.failures = 3;
    rec.last_attempt = T0;
    CHECK_FALSE(decide(T0 + 30, std::nullopt, kDomains, rec, kSettings).due);
    CHECK(decide(T0 + 30, std::nullopt, kDomains, rec, "https://other/dir pacs.test").due);
  }
}

TEST_CASE("acme: verdicts: red without a real certificate, under 3 days or expired; amber under 14 days or failing") {
  CHECK(assess(T0, std::nullopt, "").verdict == Verdict::Red);
  CertInfo p = cert(T0, 10 * 365 * kDay);
  p.placeholder = true;
  Health h = assess(T0, p, "");
  CHECK(h.verdict == Verdict::Red);
  CHECK(h.reason.find("no certificate issued yet") != std::string::npos);
  CHECK(assess(T0, cert(T0 - 30 * kDay, 90 * kDay), "").verdict == Verdict::Green);
  CHECK(assess(T0, cert(T0 - 30 * kDay, 90 * kDay), "").reason == "60 days left");
  h = assess(T0, cert(T0 - 30 * kDay, 90 * kDay), "connection refused");
  CHECK(h.verdict == Verdict::Amber);
  CHECK(h.reason == "60 days left; renewal failing: connection refused");
  CHECK(assess(T0, cert(T0 - 80 * kDay, 90 * kDay), "").verdict == Verdict::Amber);
  CHECK(assess(T0, cert(T0 - 88 * kDay, 90 * kDay), "").verdict == Verdict::Red);
  h = assess(T0 + 400, cert(T0, 300), "");
  CHECK(h.verdict == Verdict::Red);
  CHECK(h.reason == "expired 100 s ago");
  CHECK(std::string(to_string(Verdict::Amber)) == "amber");
  CHECK(human_duration(3 * 3600) == "3 h");
  CHECK(human_duration(150) == "2 min");
}
