// UTC timestamps as the status page writes and reads them
// ("2025-06-01T10:12:13Z"; fractions and "+00:00" accepted on input).
#pragma once

#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace radflare {

std::string iso_utc(time_t t);
// nullopt when `text` is not an ISO 8601 UTC time (Z or +00:00) or a
// compact Orthanc time ("20250601T101213", which Orthanc writes in UTC).
std::optional<time_t> parse_iso_utc(std::string_view text);

}  // namespace radflare
