#include "status/cidr.h"

#include <doctest/doctest.h>

using namespace radflare;

TEST_CASE("status cidr: IPv4 networks match by prefix, the default LAN list") {
  AllowList lan({"127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "::1/128", "fc00::/7"});
  CHECK(lan.allows("127.0.0.1"));
  CHECK(lan.allows("10.231.7.1"));
  CHECK(lan.allows("172.31.255.254"));
  CHECK_FALSE(lan.allows("172.32.0.1"));
  CHECK(lan.allows("192.168.1.20"));
  CHECK_FALSE(lan.allows("192.169.1.20"));
  CHECK_FALSE(lan.allows("8.8.8.8"));
  CHECK(lan.allows("::1"));
  CHECK(lan.allows("fd12:3456::1"));
  CHECK_FALSE(lan.allows("2001:db8::1"));
  CHECK_FALSE(lan.allows("fe80::1"));
}

TEST_CASE("status cidr: an IPv4-mapped IPv6 peer is matched as IPv4") {
  AllowList l({"192.168.0.0/16"});
  CHECK(l.allows("::ffff:192.168.3.4"));
  CHECK_FALSE(l.allows("::ffff:10.0.0.1"));
  // and a network written in mapped form is an IPv4 network
  AllowList m({"::ffff:10.0.0.0/104"});
  CHECK(m.allows("10.9.9.9"));
  CHECK_FALSE(m.allows("11.0.0.1"));
}

TEST_CASE("status cidr: prefix lengths that are not multiples of 8, and the edges") {
  AllowList l({"10.231.5.0/30", "fc00::/7"});
  CHECK(l.allows("10.231.5.1"));
  CHECK(l.allows("10.231.5.3"));
  CHECK_FALSE(l.allows("10.231.5.4"));
  CHECK(l.allows("fdff:ffff::1"));     // fc00::/7 covers fc and fd
  CHECK_FALSE(l.allows("fe00::1"));
  CHECK(AllowList({"0.0.0.0/0"}).allows("203.0.113.9"));
  CHECK_FALSE(AllowList({"0.0.0.0/0"}).allows("2001:db8::1"));  // /0 of one family only
  CHECK(AllowList({"::/0"}).allows("2001:db8::1"));
  CHECK(AllowList({"10.0.0.7/32"}).allows("10.0.0.7"));
  CHECK_FALSE(AllowList({"10.0.0.7/32"}).allows("10.0.0.6"));
  CHECK(AllowList({"10.0.0.7"}).allows("10.0.0.7"));  // bare address = /32
}

TEST_CASE("status cidr: garbage is refused, never allowed") {
  std::vector<std::string> invalid;
  AllowList l({"10.0.0.0/33", "banana", "10.0.0.0/", "::/129", "10.0.0.0/8"}, &invalid);
  CHECK(invalid.size() == 4);
  CHECK(l.allows("10.1.2.3"));
  CHECK_FALSE(l.allows(""));
  CHECK_FALSE(l.allows("10.1.2.3.4"));
  CHECK_FALSE(l.allows("not an address"));
  CHECK_FALSE(AllowList().allows("127.0.0.1"));
  CHECK(AllowList({"fe80::/10"}).allows("fe80::1%eth0"));  // zone ignored
}
