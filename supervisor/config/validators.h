// Checks of single values, used by the schema table (config/schema.cc).
//
// Each returns "" when the value is acceptable, otherwise the "expected …"
// part of a sentence: "expected a port number (1-65535), found 70000".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace radflare::validate {

std::string port(int64_t value);
std::string port_or_zero(int64_t value);
std::string int_range(int64_t value, int64_t lo, int64_t hi);
std::string one_of(std::string_view value, const std::vector<std::string>& allowed);

std::string printable(std::string_view value);     // no control characters
std::string nonempty_printable(std::string_view value);
std::string dicom_aet(std::string_view value);      // DICOM AE title
std::string hostname(std::string_view value);       // DNS name or IP address
std::string ip_address(std::string_view value);
std::string cidr(std::string_view value);
std::string http_origin(std::string_view value);    // scheme://host[:port], for CORS
std::string csp_source(std::string_view value);     // a CSP frame-ancestors source
std::string url_path_dir(std::string_view value);   // "/ohif/" — leading and trailing '/'
std::string url_path(std::string_view value);       // "/wado" — leading '/'
std::string absolute_path(std::string_view value);  // a file system path
std::string optional_absolute_path(std::string_view value);
std::string byte_size(std::string_view value);      // "4G", "512M", "0"
std::string email(std::string_view value);
std::string http_url(std::string_view value);       // http:// or https://
std::string optional_http_url(std::string_view value);
std::string https_url(std::string_view value);
std::string env_name(std::string_view value);       // environment variable name
std::string identifier(std::string_view value);     // PostgreSQL role/database, user names

// "4G" -> 4294967296. Assumes byte_size(value) == "".
int64_t parse_byte_size(std::string_view value);

// `value` shown in a message: quoted, truncated, control characters escaped.
std::string quoted(std::string_view value);

}  // namespace radflare::validate
