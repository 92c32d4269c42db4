#include "status/time_text.h"

#include <cctype>
#include <charconv>

namespace radflare {

std::string iso_utc(time_t t) {
  char buf[32];
  tm utc{};
  gmtime_r(&t, &utc);
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buf;
}

std::optional<time_t> parse_iso_utc(std::string_view s) {
  size_t i = 0;
  auto digits = [&](size_t n, int& out) {
    if (i + n > s.size()) return false;
    for (size_t k = 0; k < n; ++k)
      if (!std::isdigit(static_cast<unsigned char>(s[i + k]))) return false;
    std::from_chars(s.data() + i, s.data() + i + n, out);
    i += n;
    return true;
  };
  auto skip = [&](char c) {
    if (i < s.size() && s[i] == c) {
      ++i;
      return true;
    }
    return false;
  };
  int Y = 0, M = 0, D = 0, h = 0, m = 0, sec = 0;
  if (!digits(4, Y)) return std::nullopt;
  const bool extended = skip('-');
  if (!digits(2, M) || (extended && !skip('-')) || !digits(2, D) || !skip('T')) return std::nullopt;
  if (!digits(2, h) || (extended && !skip(':')) || !digits(2, m) || (extended && !skip(':')) || !digits(2, sec))
    return std::nullopt;
  if (skip('.'))
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  const std::string_view zone = s.substr(i);
  if (extended ? !(zone == "Z" || zone == "+00:00") : !zone.empty()) return std::nullopt;
  if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60) return std::nullopt;
  tm t{};
  t.tm_year = Y - 1900;
  t.tm_mon = M - 1;
  t.tm_mday = D;
  t.tm_hour = h;
  t.tm_min = m;
  t.tm_sec = sec;
  return timegm(&t);
}

}  // namespace radflare
