#include "config/validators.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <regex>

namespace radflare::validate {

namespace {

bool is_ipv4(std::string_view s) {
  in_addr a{};
  return inet_pton(AF_INET, std::string(s).c_str(), &a) == 1;
}
bool is_ipv6(std::string_view s) {
  in6_addr a{};
  return inet_pton(AF_INET6, std::string(s).c_str(), &a) == 1;
}

bool is_dns_name(std::string_view s) {
  // RFC 1123 labels: letters, digits, hyphens; no leading/trailing hyphen.
  static const std::regex re(
      R"(^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$)");
  return s.size() <= 253 && std::regex_match(s.begin(), s.end(), re);
}

bool all_of(std::string_view s, auto pred) { return std::all_of(s.begin(), s.end(), pred); }

}  // namespace

std::string quoted(std::string_view value) {
  std::string out = "\"";
  size_t shown = 0;
  for (char c : value) {
    if (++shown > 60) {
      out += "…";
      break;
    }
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 15];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string port(int64_t value) {
  if (value >= 1 && value <= 65535) return "";
  return "expected a port number (1-65535), found " + std::to_string(value);
}

std::string port_or_zero(int64_t value) {
  if (value >= 0 && value <= 65535) return "";
  return "expected a port number (1-65535, or 0 to turn it off), found " + std::to_string(value);
}

std::string int_range(int64_t value, int64_t lo, int64_t hi) {
  if (value >= lo && value <= hi) return "";
  return "expected a whole number from " + std::to_string(lo) + " to " + std::to_string(hi) +
         ", found " + std::to_string(value);
}

std::string one_of(std::string_view value, const std::vector<std::string>& allowed) {
  if (std::find(allowed.begin(), allowed.end(), value) != allowed.end()) return "";
  std::string list;
  for (size_t i = 0; i < allowed.size(); ++i) {
    if (i) list += i + 1 == allowed.size() ? " or " : ", ";
    list += "\"" + allowed[i] + "\"";
  }
  return "expected " + list + ", found " + quoted(value);
}

std::string printable(std::string_view value) {
  for (char c : value) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return "expected text without control characters, found " + quoted(value);
  }
  return "";
}

std::string nonempty_printable(std::string_view value) {
  if (value.empty()) return "expected a non-empty text, found \"\"";
  return printable(value);
}

std::string dicom_aet(std::string_view value) {
  // PS3.5: AE is at most 16 characters of the default repertoire, no
  // backslash, no control characters; leading/trailing spaces are not
  // significant, so refuse them rather than have two AETs that look alike.
  bool ok = !value.empty() && value.size() <= 16 && value.front() != ' ' && value.back() != ' ' &&
            all_of(value, [](char c) { return c >= 0x20 && c < 0x7f && c != '\\'; });
  if (ok) return "";
  return "expected a DICOM AE title (1-16 printable ASCII characters, no backslash), found " + quoted(value);
}

std::string hostname(std::string_view value) {
  if (is_dns_name(value) || is_ipv4(value) || is_ipv6(value)) return "";
  return "expected a host name (like pacs.example.com) or an IP address, found " + quoted(value);
}

std::string ip_address(std::string_view value) {
  if (is_ipv4(value) || is_ipv6(value)) return "";
  return "expected an IP address (like 0.0.0.0 or ::), found " + quoted(value);
}

std::string cidr(std::string_view value) {
  auto slash = value.find('/');
  auto fail = [&] { return "expected a network in CIDR form (like 192.168.0.0/16), found " + quoted(value); };
  if (slash == std::string_view::npos) return fail();
  std::string_view addr = value.substr(0, slash), bits = value.substr(slash + 1);
  int n = -1;
  auto [p, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), n);
  if (ec != std::errc() || p != bits.data() + bits.size() || bits.empty()) return fail();
  if (is_ipv4(addr) && n >= 0 && n <= 32) return "";
  if (is_ipv6(addr) && n >= 0 && n <= 128) return "";
  return fail();
}

std::string http_origin(std::string_view value) {
  static const std::regex re(R"(^https?://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?$)");
  if (std::regex_match(value.begin(), value.end(), re)) {
    auto host_start = value.find("://") + 3;
    std::string_view rest = value.substr(host_start);
    std::string_view host = rest[0] == '[' ? rest.substr(1, rest.find(']') - 1)
                                           : rest.substr(0, rest.find(':'));
    if (hostname(host).empty()) return "";
  }
  return "expected an origin like https://app.example.com or http://localhost:3001 (scheme, host, optional port; no path), found " +
         quoted(value);
}

std::string csp_source(std::string_view value) {
  // The forms CSP allows in frame-ancestors: 'self', 'none', a scheme
  // ("https:"), or a host source with optional scheme, wildcard and port.
  if (value == "'self'" || value == "'none'" || value == "https:" || value == "http:") return "";
  static const std::regex re(R"(^(https?://)?(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:([0-9]{1,5}|\*))?$)");
  if (std::regex_match(value.begin(), value.end(), re)) return "";
  return "expected a CSP source like https://app.example.com, https://*.example.com or 'self', found " +
         quoted(value);
}

static bool safe_url_path(std::string_view value) {
  return all_of(value, [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '-' || c == '_' || c == '.'; }) &&
         value.find("//") == std::string_view::npos && value.find("/../") == std::string_view::npos &&
         value.find("/./") == std::string_view::npos;
}

std::string url_path_dir(std::string_view value) {
  if (value.size() >= 3 && value.front() == '/' && value.back() == '/' && safe_url_path(value)) return "";
  return "expected a URL path that starts and ends with '/' (like \"/ohif/\"; letters, digits, '-', '_', '.'), found " +
         quoted(value);
}

std::string url_path(std::string_view value) {
  if (value.size() >= 2 && value.front() == '/' && value.back() != '/' && safe_url_path(value)) return "";
  return "expected a URL path that starts with '/' and does not end with one (like \"/wado\"), found " +
         quoted(value);
}

std::string absolute_path(std::string_view value) {
  bool ok = !value.empty() && value.front() == '/' &&
            all_of(value, [](char c) {
              unsigned char u = static_cast<unsigned char>(c);
              return u >= 0x20 && u != 0x7f && c != '"' && c != '\'' && c != '\\' && c != ';' && c != '$' &&
                     c != '{' && c != '}' && c != ' ';
            });
  if (ok) return "";
  return "expected an absolute path (starting with '/', without spaces, quotes, ';', '$' or braces), found " +
         quoted(value);
}

std::string optional_absolute_path(std::string_view value) {
  return value.empty() ? "" : absolute_path(value);
}

std::string byte_size(std::string_view value) {
  static const std::regex re(R"(^[0-9]{1,7}[kKmMgG]?$)");
  if (std::regex_match(value.begin(), value.end(), re)) return "";
  return "expected a size like \"4G\", \"500M\" or \"0\" (unlimited), found " + quoted(value);
}

int64_t parse_byte_size(std::string_view value) {
  int64_t n = 0;
  std::from_chars(value.data(), value.data() + value.size(), n);
  switch (value.empty() ? '\0' : value.back()) {
    case 'k': case 'K': return n << 10;
    case 'm': case 'M': return n << 20;
    case 'g': case 'G': return n << 30;
    default: return n;
  }
}

std::string email(std::string_view value) {
  static const std::regex re(R"(^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$)");
  if (std::regex_match(value.begin(), value.end(), re)) return "";
  return "expected an e-mail address, found " + quoted(value);
}

std::string http_url(std::string_view value) {
  static const std::regex re(R"(^https?://[A-Za-z0-9.\-\[\]:]+(/[A-Za-z0-9._~!$&'()*+,;=:@%/?#-]*)?$)");
  if (std::regex_match(value.begin(), value.end(), re)) return "";
  return "expected an http:// or https:// URL, found " + quoted(value);
}

std::string optional_http_url(std::string_view value) { return value.empty() ? "" : http_url(value); }

std::string https_url(std::string_view value) {
  if (value.starts_with("https://") && http_url(value).empty()) return "";
  return "expected an https:// URL, found " + quoted(value);
}

std::string env_name(std::string_view value) {
  static const std::regex re(R"(^[A-Za-z_][A-Za-z0-9_]*$)");
  if (std::regex_match(value.begin(), value.end(), re)) return "";
  return "expected an environment variable name (letters, digits, '_'), found " + quoted(value);
}

std::string identifier(std::string_view value) {
  static const std::regex re(R"(^[A-Za-z_][A-Za-z0-9_.-]{0,62}$)");
  if (std::regex_match(value.begin(), value.end(), re)) return "";
  return "expected a name of letters, digits, '_', '-' or '.' (starting with a letter, at most 63), found " +
         quoted(value);
}

}  // namespace radflare::validate
