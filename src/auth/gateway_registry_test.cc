#include "auth/gateway_registry.h"

#include <gtest/gtest.h>

namespace urna {
namespace {

TEST(GatewayRegistryTest, SecretsAreRandomAndOnlyTheirHashIsKept) {
  std::string a = GatewayRegistry::NewSecret(), b = GatewayRegistry::NewSecret();
  EXPECT_NE(a, b);
  EXPECT_EQ(a.size(), 8u + 64u);
  EXPECT_EQ(a.rfind("urna_gw_", 0), 0u);
  EXPECT_EQ(GatewayRegistry::HashSecret("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");  // FIPS 180-2
}

TEST(GatewayRegistryTest, AuthenticatesKnownRefusesUnknownAndRevoked) {
  GatewayRegistry reg;
  std::string s1 = GatewayRegistry::NewSecret(), s2 = GatewayRegistry::NewSecret();
  reg.Replace({{"g1", GatewayRegistry::HashSecret(s1), {}, 1, 0},
               {"g2", GatewayRegistry::HashSecret(s2), {"e1"}, 1, 0}});
  auto g = reg.Authenticate(s1);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ((*g)->id, "g1");
  EXPECT_EQ(reg.Authenticate("urna_gw_nope").status().code(), Code::kUnauthenticated);
  EXPECT_EQ(reg.Authenticate(GatewayRegistry::HashSecret(s1)).status().code(),
            Code::kUnauthenticated);  // the stored hash is no credential
  reg.Put({"g2", GatewayRegistry::HashSecret(s2), {"e1"}, 1, 7});
  auto revoked = reg.Authenticate(s2);
  EXPECT_EQ(revoked.status().code(), Code::kPermissionDenied);
  EXPECT_NE(revoked.status().message().find("revoked"), std::string::npos);
  // A periodic reload whose list was read before that revocation was stored: it stays revoked.
  reg.Replace({{"g1", GatewayRegistry::HashSecret(s1), {}, 1, 0},
               {"g2", GatewayRegistry::HashSecret(s2), {"e1"}, 1, 0}});
  EXPECT_EQ(reg.Authenticate(s2).status().code(), Code::kPermissionDenied);
  EXPECT_TRUE(reg.Authenticate(s1).ok());
  reg.Replace({});
  EXPECT_EQ(reg.Authenticate(s1).status().code(), Code::kUnauthenticated);
}

}  // namespace
}  // namespace urna
