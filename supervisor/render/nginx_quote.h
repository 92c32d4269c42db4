// Putting configured values into nginx's configuration safely.
//
// nginx's syntax gives meaning to quotes, ';', braces, '$', '\', '#' and
// whitespace. A value holding one of them could end a directive and start a
// new one ("https://x.example; return 200"). The config loader validates
// every field already; this is the second line of defence: every value that
// reaches an nginx file passes through checked() or quoted(), which refuse
// anything but the plain characters its kind needs.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace radflare::nginx {

// A configured value that cannot be written into nginx's configuration.
// The message names the config field and the offending character.
class UnsafeValue : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

enum class ValueKind {
  HostName,   // server_name entry, certificate domain: pacs.example.com, *.example.com, 10.0.0.5
  Origin,     // CORS origin: scheme://host[:port]
  CspSource,  // frame-ancestors source: 'self', 'none', https:, https://*.example.com:8443
  UrlPath,    // location prefix: /ohif/, /dicom-web/, /wado
  UserName,   // Basic-auth user name (no ':')
  FilePath,   // absolute file path (certificates)
};

// `value` unchanged when it is safe as a `kind` in an nginx file; otherwise
// throws UnsafeValue naming `field` (e.g. "web.cors_origins[0]").
std::string checked(ValueKind kind, std::string_view field, std::string_view value);

// checked(), in double quotes.
std::string quoted(ValueKind kind, std::string_view field, std::string_view value);

// "Basic <base64(user:password)>": the Authorization header a browser sends.
std::string basic_authorization(std::string_view user, std::string_view password);

// A PCRE pattern that matches exactly `text`, which must be printable ASCII
// without nginx-special characters (base64 is: only '+' needs escaping).
std::string regex_literal(std::string_view text);

}  // namespace radflare::nginx
