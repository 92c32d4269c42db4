#include "render/nginx_quote.h"

#include <array>
#include <cstdint>

namespace radflare::nginx {
namespace {

[[noreturn]] void refuse(std::string_view field, std::string_view value, std::string_view why) {
  std::string shown;
  for (char c : value) {  // show control characters visibly, never raw
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      shown += "\\x";
      shown += kHex[u >> 4];
      shown += kHex[u & 15];
    } else {
      shown += c;
    }
  }
  throw UnsafeValue(std::string(field) + " = \"" + shown + "\" cannot go into nginx's configuration: " +
                    std::string(why));
}

// Why a character could break out of an nginx token, or "" when it cannot.
std::string_view breakout_reason(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u <= 0x20 || u == 0x7f) return "whitespace or a control character would split the value";
  if (u > 0x7f) return "only ASCII characters are allowed";
  switch (c) {
    case '"':
    case '\'': return "a quote would end the quoted string";
    case ';': return "';' would end the directive";
    case '{':
    case '}': return "a brace would open or close a block";
    case '$': return "'$' would be read as an nginx variable";
    case '\\': return "'\\' is nginx's escape character";
    case '#': return "'#' would start a comment";
    default: return "";
  }
}

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// The characters each kind needs, beyond letters and digits.
std::string_view extra_chars(ValueKind kind) {
  switch (kind) {
    case ValueKind::HostName: return ".-*:_";      // '*' wildcards, ':' IPv6
    case ValueKind::Origin: return ".-:/[]";
    case ValueKind::CspSource: return ".-*:/";
    case ValueKind::UrlPath: return "/.-_~";
    case ValueKind::UserName: return ".-_@";
    case ValueKind::FilePath: return "/.-_+@=,:";
  }
  return "";
}

std::string_view kind_name(ValueKind kind) {
  switch (kind) {
    case ValueKind::HostName: return "a host name";
    case ValueKind::Origin: return "an origin";
    case ValueKind::CspSource: return "a CSP source";
    case ValueKind::UrlPath: return "a URL path";
    case ValueKind::UserName: return "a user name";
    case ValueKind::FilePath: return "a file path";
  }
  return "a value";
}

void check_shape(ValueKind kind, std::string_view field, std::string_view value) {
  bool has_dotdot = value.find("..") != std::string_view::npos;
  switch (kind) {
    case ValueKind::HostName:
      if (value.front() == '~') refuse(field, value, "a leading '~' would make it a regular expression");
      break;
    case ValueKind::Origin:
      if (!value.starts_with("http://") && !value.starts_with("https://"))
        refuse(field, value, "an origin starts with http:// or https://");
      if (value.find('/', value.find("//") + 2) != std::string_view::npos)
        refuse(field, value, "an origin has no path");
      break;
    case ValueKind::UrlPath:
    case ValueKind::FilePath:
      if (value.front() != '/') refuse(field, value, "it must start with '/'");
      if (has_dotdot || value.find("//") != std::string_view::npos)
        refuse(field, value, "'..' and '//' are not allowed in a path");
      break;
    case ValueKind::CspSource:
    case ValueKind::UserName:
      break;
  }
}

}  // namespace

std::string checked(ValueKind kind, std::string_view field, std::string_view value) {
  if (value.empty()) refuse(field, value, "it is empty");
  // The two CSP keywords are the only values that may hold quotes.
  if (kind == ValueKind::CspSource && (value == "'self'" || value == "'none'")) return std::string(value);
  for (char c : value) {
    if (auto why = breakout_reason(c); !why.empty()) refuse(field, value, why);
    if (!is_alnum(c) && extra_chars(kind).find(c) == std::string_view::npos)
      refuse(field, value, "'" + std::string(1, c) + "' is not allowed in " + std::string(kind_name(kind)));
  }
  check_shape(kind, field, value);
  return std::string(value);
}

std::string quoted(ValueKind kind, std::string_view field, std::string_view value) {
  return "\"" + checked(kind, field, value) + "\"";
}

std::string basic_authorization(std::string_view user, std::string_view password) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string in = std::string(user) + ":" + std::string(password);
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  for (size_t i = 0; i < in.size(); i += 3) {
    uint32_t n = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) n |= static_cast<unsigned char>(in[i + 1]) << 8;
    if (i + 2 < in.size()) n |= static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += i + 2 < in.size() ? kAlphabet[n & 63] : '=';
  }
  return "Basic " + out;
}

std::string regex_literal(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (is_alnum(c) || c == ' ' || c == '/' || c == '=' || c == ':' || c == '_' || c == '-' || c == '@')
      out += c;
    else if (c == '+' || c == '.')
      out += std::string("[") + c + "]";  // a one-character class: no backslash for nginx to parse
    else
      throw UnsafeValue("internal: cannot write \"" + std::string(text) + "\" as an nginx regex");
  }
  return out;
}

}  // namespace radflare::nginx
