#include "status/cidr.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace radflare {

namespace {

// "1.2.3.4" or an IPv6 address (a zone "%eth0" is dropped) -> bytes.
bool parse_address(std::string_view text, bool& v6, std::array<uint8_t, 16>& out) {
  if (auto pct = text.find('%'); pct != std::string_view::npos) text = text.substr(0, pct);
  if (text.empty() || text.size() > INET6_ADDRSTRLEN) return false;
  const std::string s(text);
  out.fill(0);
  in_addr a4{};
  if (inet_pton(AF_INET, s.c_str(), &a4) == 1) {
    v6 = false;
    std::memcpy(out.data(), &a4, 4);
    return true;
  }
  in6_addr a6{};
  if (inet_pton(AF_INET6, s.c_str(), &a6) != 1) return false;
  std::memcpy(out.data(), &a6, 16);
  v6 = true;
  // IPv4-mapped (::ffff:a.b.c.d): the IPv4 client it stands for.
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(out.data(), kMapped, 12) == 0) {
    std::array<uint8_t, 16> v4{};
    std::memcpy(v4.data(), out.data() + 12, 4);
    out = v4;
    v6 = false;
  }
  return true;
}

}  // namespace

std::optional<Cidr> Cidr::parse(std::string_view text) {
  Cidr c;
  std::string_view addr = text;
  int bits = -1;
  if (auto slash = text.find('/'); slash != std::string_view::npos) {
    addr = text.substr(0, slash);
    std::string_view b = text.substr(slash + 1);
    auto [p, ec] = std::from_chars(b.data(), b.data() + b.size(), bits);
    if (b.empty() || ec != std::errc() || p != b.data() + b.size()) return std::nullopt;
  }
  if (addr.find('%') != std::string_view::npos) return std::nullopt;
  if (!parse_address(addr, c.v6, c.addr)) return std::nullopt;
  // A network written as ::ffff:10.0.0.0/104 is the IPv4 network 10.0.0.0/8.
  const bool written_v6 = addr.find(':') != std::string_view::npos;
  const int max = c.v6 ? 128 : 32;
  if (bits < 0) bits = written_v6 ? 128 : 32;
  if (written_v6 && !c.v6) bits -= 96;
  if (bits < 0 || bits > max) return std::nullopt;
  c.bits = bits;
  return c;
}

bool Cidr::contains(bool address_v6, const std::array<uint8_t, 16>& address) const {
  if (address_v6 != v6) return false;
  const int full = bits / 8, rest = bits % 8;
  if (std::memcmp(address.data(), addr.data(), static_cast<size_t>(full)) != 0) return false;
  if (rest == 0) return true;
  const auto mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (address[full] & mask) == (addr[full] & mask);
}

AllowList::AllowList(const std::vector<std::string>& cidrs, std::vector<std::string>* invalid) {
  for (const auto& text : cidrs) {
    if (auto c = Cidr::parse(text)) {
      networks_.push_back(*c);
    } else if (invalid) {
      invalid->push_back(text);
    }
  }
}

bool AllowList::allows(std::string_view address) const {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};
  if (!parse_address(address, v6, bytes)) return false;
  for (const auto& n : networks_)
    if (n.contains(v6, bytes)) return true;
  return false;
}

}  // namespace radflare
