#include "auth/client_address.h"

#include <gtest/gtest.h>

namespace urna {
namespace {

std::string Show(const std::optional<IpAddress>& a) {
  if (!a) return "none";
  std::string s = a->v4 ? "4:" : "6:";
  for (int i = 0; i < (a->v4 ? 4 : 16); ++i) s += std::to_string(a->bytes[i]) + ".";
  return s;
}

TEST(ClientAddressTest, ParsesAddresses) {
  EXPECT_EQ(Show(ParseIpAddress("192.0.2.1")), "4:192.0.2.1.");
  EXPECT_EQ(Show(ParseIpAddress(" 192.0.2.1:8443 ")), "4:192.0.2.1.");
  EXPECT_EQ(Show(ParseIpAddress("::ffff:192.0.2.1")), "4:192.0.2.1.");
  EXPECT_TRUE(ParseIpAddress("2001:db8::1").has_value());
  EXPECT_FALSE(ParseIpAddress("2001:db8::1")->v4);
  EXPECT_EQ(Show(ParseIpAddress("[2001:db8::1]:443")), Show(ParseIpAddress("2001:db8::1")));
  for (const char* bad : {"", "unknown", "1.2.3", "1.2.3.4.5", "300.1.1.1", "[::1", "::g"}) {
    EXPECT_FALSE(ParseIpAddress(bad).has_value()) << bad;
  }
}

TEST(ClientAddressTest, KeysIpv6ByItsSlash64) {
  auto k = [](const char* s) { return AddressKey(*ParseIpAddress(s)); };
  EXPECT_EQ(k("2001:db8:1:2::1"), k("2001:db8:1:2:ffff::9"));
  EXPECT_NE(k("2001:db8:1:2::1"), k("2001:db8:1:3::1"));
  EXPECT_NE(k("192.0.2.1"), k("192.0.2.2"));
  EXPECT_EQ(k("192.0.2.1"), k("::ffff:192.0.2.1"));
  EXPECT_NE(k("0.0.0.1"), k("::1"));
}

TEST(ClientAddressTest, ForwardedForIsBelievedOnlyFromTrustedProxies) {
  auto proxies = TrustedProxies::Parse({"127.0.0.1/32", "10.0.0.0/8", "fd00::/8"});
  ASSERT_TRUE(proxies.ok());
  auto client = [&](const char* peer, const char* xff) { return Show(proxies->Client(peer, xff)); };
  // Untrusted peer: the header is ignored.
  EXPECT_EQ(client("192.0.2.9", "198.51.100.1"), "4:192.0.2.9.");
  // Trusted peer: the right-most entry that is not a trusted proxy.
  EXPECT_EQ(client("127.0.0.1", "198.51.100.1"), "4:198.51.100.1.");
  EXPECT_EQ(client("127.0.0.1", "6.6.6.6, 198.51.100.1, 10.0.0.2"), "4:198.51.100.1.");
  EXPECT_EQ(client("10.9.9.9", "6.6.6.6,198.51.100.1,10.0.0.2,10.0.0.3"), "4:198.51.100.1.");
  EXPECT_EQ(client("fd00::1", "2001:db8::7"), Show(ParseIpAddress("2001:db8::7")));
  // No header, or only trusted hops: the left-most known hop.
  EXPECT_EQ(client("127.0.0.1", ""), "4:127.0.0.1.");
  EXPECT_EQ(client("127.0.0.1", "10.0.0.5, 10.0.0.2"), "4:10.0.0.5.");
  // Garbage where an address should be: the last hop that wrote an address.
  EXPECT_EQ(client("127.0.0.1", "198.51.100.1, nonsense"), "4:127.0.0.1.");
  EXPECT_EQ(client("127.0.0.1", "nonsense, 10.0.0.2"), "4:10.0.0.2.");
  EXPECT_EQ(client("", "198.51.100.1"), "none");
  // No trusted proxies at all.
  auto none = TrustedProxies::Parse({});
  EXPECT_EQ(Show(none->Client("127.0.0.1", "198.51.100.1")), "4:127.0.0.1.");
}

TEST(ClientAddressTest, ParsesCidrs) {
  auto p = TrustedProxies::Parse({"192.168.0.0/16", "2001:db8::/32", "203.0.113.5"});
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->Contains(*ParseIpAddress("192.168.200.1")));
  EXPECT_FALSE(p->Contains(*ParseIpAddress("192.169.0.1")));
  EXPECT_TRUE(p->Contains(*ParseIpAddress("2001:db8:ffff::1")));
  EXPECT_FALSE(p->Contains(*ParseIpAddress("2001:db9::1")));
  EXPECT_TRUE(p->Contains(*ParseIpAddress("203.0.113.5")));
  EXPECT_FALSE(p->Contains(*ParseIpAddress("203.0.113.6")));
  EXPECT_TRUE(TrustedProxies::Parse({"10.0.0.0/0"})->Contains(*ParseIpAddress("8.8.8.8")));
  EXPECT_TRUE(TrustedProxies::Parse({"10.0.0.0/12"})->Contains(*ParseIpAddress("10.15.0.1")));
  EXPECT_FALSE(TrustedProxies::Parse({"10.0.0.0/12"})->Contains(*ParseIpAddress("10.16.0.1")));
  for (const char* bad :
       {"10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/x", "nope/8", "[::1]/128"}) {
    EXPECT_FALSE(TrustedProxies::Parse({bad}).ok()) << bad;
  }
}

}  // namespace
}  // namespace urna
