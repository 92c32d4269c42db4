// The status page's allow-list: is a client address inside one of
// status.allowed_cidrs? IPv4 and IPv6; an IPv4-mapped IPv6 peer
// (::ffff:192.168.1.5, what a dual-stack "::" listener reports) is matched
// as the IPv4 address it is. Only the TCP peer counts: no header is trusted.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace radflare {

struct Cidr {
  bool v6 = false;
  std::array<uint8_t, 16> addr{};  // network order; IPv4 in the first 4 bytes
  int bits = 0;

  // "10.0.0.0/8", "fc00::/7"; a bare address is a /32 or /128. nullopt when invalid.
  static std::optional<Cidr> parse(std::string_view text);
  bool contains(bool v6, const std::array<uint8_t, 16>& address) const;
};

class AllowList {
 public:
  AllowList() = default;  // allows no one
  // Invalid entries are skipped (the config loader has already refused them)
  // and reported in `invalid`.
  explicit AllowList(const std::vector<std::string>& cidrs, std::vector<std::string>* invalid = nullptr);
  // `address` as the socket reports it ("192.168.1.5", "::1", "::ffff:10.0.0.2",
  // "fe80::1%eth0"). An unparsable address is refused.
  bool allows(std::string_view address) const;

 private:
  std::vector<Cidr> networks_;
};

}  // namespace radflare
