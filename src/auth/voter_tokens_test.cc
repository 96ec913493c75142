#include "auth/voter_tokens.h"

#include <gtest/gtest.h>
#include <jwt.h>

#include <cstdlib>

namespace urna {
namespace {

constexpr int64_t kNow = 1'800'000'000;

// Builds a token with libjwt directly, to craft the bad ones.
std::string Raw(jwt_alg_t alg, const std::string& key, const std::string& sub, long exp) {
  jwt_t* j = nullptr;
  jwt_new(&j);
  if (!sub.empty()) jwt_add_grant(j, "sub", sub.c_str());
  if (exp) jwt_add_grant_int(j, "exp", exp);
  jwt_set_alg(j, alg, key.empty() ? nullptr : reinterpret_cast<const unsigned char*>(key.data()),
              static_cast<int>(key.size()));
  char* s = jwt_encode_str(j);
  std::string out = s ? s : "";
  free(s);
  jwt_free(j);
  return out;
}

TEST(VoterTokensTest, MintedTokenVerifies) {
  VoterTokens t("secret-1");
  auto tok = t.Mint("alice", std::chrono::hours(1), kNow);
  ASSERT_TRUE(tok.ok());
  auto v = t.Verify(*tok, kNow + 10);
  ASSERT_TRUE(v.ok()) << v.status().message();
  EXPECT_EQ(*v, "alice");
}

TEST(VoterTokensTest, RejectsExpiredBadSignatureOtherAlgorithmsAndNone) {
  VoterTokens t("secret-1");
  auto tok = t.Mint("alice", std::chrono::seconds(60), kNow);
  EXPECT_EQ(t.Verify(*tok, kNow + 61).status().code(), Code::kUnauthenticated);
  EXPECT_FALSE(VoterTokens("other").Verify(*tok, kNow).ok());
  EXPECT_FALSE(t.Verify(Raw(JWT_ALG_HS512, "secret-1", "alice", kNow + 60), kNow).ok());
  EXPECT_FALSE(t.Verify(Raw(JWT_ALG_NONE, "", "alice", kNow + 60), kNow).ok());
  EXPECT_FALSE(t.Verify(Raw(JWT_ALG_HS256, "secret-1", "", kNow + 60), kNow).ok());     // no sub
  EXPECT_FALSE(t.Verify(Raw(JWT_ALG_HS256, "secret-1", "a b", kNow + 60), kNow).ok());  // bad sub
  EXPECT_TRUE(t.Verify(Raw(JWT_ALG_HS256, "secret-1", "bob", kNow + 60), kNow).ok());
  EXPECT_FALSE(t.Verify("garbage", kNow).ok());
  EXPECT_FALSE(t.Verify("", kNow).ok());
  // A token whose payload was edited keeps its old signature: refused.
  std::string edited = *tok;
  edited[edited.find('.') + 3] ^= 1;
  EXPECT_FALSE(t.Verify(edited, kNow).ok());
}

TEST(VoterTokensTest, BearerAndAdmin) {
  EXPECT_EQ(BearerToken("Bearer abc"), "abc");
  EXPECT_EQ(BearerToken("bearer  abc"), "abc");
  EXPECT_EQ(BearerToken("Basic abc"), "");
  EXPECT_EQ(BearerToken(""), "");
  EXPECT_TRUE(AdminTokenMatches("tok", "tok"));
  EXPECT_FALSE(AdminTokenMatches("tok", "tok2"));
  EXPECT_FALSE(AdminTokenMatches("", ""));
}

}  // namespace
}  // namespace urna
