// Certificates as the supervisor sees them (OpenSSL's C API): what the
// status page shows (issuer, serial, validity, names), whether a key
// belongs to a certificate, and the self-signed placeholder nginx serves
// until the first certificate is issued.
#pragma once

#include <ctime>
#include <optional>
#include <string>
#include <vector>

namespace radflare::acme {

struct CertInfo {
  time_t not_before = 0;
  time_t not_after = 0;
  std::string subject;  // one line, e.g. "CN=pacs.example.com"
  std::string issuer;   // one line, e.g. "C=US, O=Let's Encrypt, CN=R11"
  std::string serial;   // lowercase hex, no colons
  std::vector<std::string> names;  // DNS names of the subjectAltName extension
  bool placeholder = false;        // our own self-signed stand-in, not a real certificate

  time_t lifetime() const { return not_after - not_before; }
  bool covers(const std::vector<std::string>& domains) const;  // every domain is a SAN (case-insensitive)
};

// The first certificate of a PEM chain; nullopt (and `problem`) when none parses.
std::optional<CertInfo> inspect_pem(const std::string& pem, std::string* problem = nullptr);

// The serial (as CertInfo::serial) of the certificate a TLS server on
// 127.0.0.1:port presents for `server_name` (SNI), unverified; "" when no
// handshake succeeds.
std::string served_serial(int port, const std::string& server_name);

// Does the private key (PEM) belong to the first certificate of the chain?
bool key_matches(const std::string& chain_pem, const std::string& key_pem);

struct PemPair {
  std::string chain;  // certificate, PEM
  std::string key;    // private key, PEM (a secret: never logged)
};

// A self-signed P-256 pair valid for ~10 years, recognisably ours
// (O = kPlaceholderOrganization) so it is never mistaken for an issued one.
PemPair make_placeholder(const std::vector<std::string>& names);
inline constexpr const char* kPlaceholderOrganization = "Radflare placeholder (no certificate issued yet)";

// "2025-06-01T12:00:00Z", or "" for 0.
std::string iso_utc(time_t t);

}  // namespace radflare::acme
