#include "auth/voter_tokens.h"

#include <gtest/gtest.h>
#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

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

std::string B64Url(const std::string& in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(n);
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return out;
}

// An HS256 token over exactly `claims` (raw JSON text), to test claims libjwt cannot build.
std::string Signed(const std::string& claims, const std::string& key = "secret-1") {
  std::string input = B64Url(R"({"alg":"HS256","typ":"JWT"})") + "." + B64Url(claims);
  unsigned char mac[32];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
  return input + "." + B64Url(std::string(reinterpret_cast<char*>(mac), len));
}

std::string Claims(const std::string& extra) {
  return R"({"sub":"alice")" + (extra.empty() ? "" : "," + extra) + "}";
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

TEST(VoterTokensTest, NumericDatesMayBeFractions) {
  VoterTokens t("secret-1");
  // A fractional exp in the future is valid (it used to be refused).
  EXPECT_TRUE(t.Verify(Signed(Claims(R"("exp":1800000060.5)")), kNow).ok());
  EXPECT_TRUE(t.Verify(Signed(Claims(R"("exp":1.8000000605e9)")), kNow).ok());
  // ... and in the past it is expired, with the same error contract.
  EXPECT_EQ(t.Verify(Signed(Claims(R"("exp":1799999999.5)")), kNow).status().code(),
            Code::kUnauthenticated);
  // A fractional nbf in the future refuses the token (it used to be ignored).
  auto early = t.Verify(Signed(Claims(R"("exp":1800000060,"nbf":1800000030.25)")), kNow);
  EXPECT_EQ(early.status().code(), Code::kUnauthenticated);
  EXPECT_NE(early.status().message().find("not valid yet"), std::string::npos);
  EXPECT_TRUE(t.Verify(Signed(Claims(R"("exp":1800000060,"nbf":1799999999.5)")), kNow).ok());
  EXPECT_TRUE(t.Verify(Signed(Claims(R"("exp":1800000060,"iat":1799999999.75)")), kNow).ok());
}

TEST(VoterTokensTest, TimeClaimsThatAreNotNumbersAreRefused) {
  VoterTokens t("secret-1");
  for (const char* bad :
       {R"("exp":"1800000060")", R"("exp":1800000060,"nbf":"0")", R"("exp":1800000060,"iat":null)",
        R"("exp":true)", R"("exp":[1800000060])", R"("exp":1800000060,"nbf":{})"}) {
    auto r = t.Verify(Signed(Claims(bad)), kNow);
    EXPECT_EQ(r.status().code(), Code::kUnauthenticated) << bad;
    EXPECT_NE(r.status().message().find("NumericDate"), std::string::npos) << bad;
  }
}

TEST(VoterTokensTest, MaximumLifetimeIsEnforced) {
  VoterTokens t("secret-1", {std::chrono::hours(24), "", ""});
  EXPECT_TRUE(t.Verify(Signed(Claims(R"("exp":1800086400)")), kNow).ok());  // exactly 24 h
  auto far = t.Verify(Signed(Claims(R"("exp":1800086401)")), kNow);
  EXPECT_EQ(far.status().code(), Code::kUnauthenticated);
  EXPECT_NE(far.status().message().find("maximum"), std::string::npos);
  EXPECT_FALSE(t.Verify(Signed(Claims(R"("exp":4611686018427387904)")), kNow).ok());  // 2^62
  EXPECT_FALSE(t.Verify(Signed(Claims(R"("exp":1e300)")), kNow).ok());
  EXPECT_FALSE(t.Verify(Signed(Claims("")), kNow).ok());  // no exp at all
  // 0 turns the bound off; then exp may also be absent.
  VoterTokens unbounded("secret-1", {std::chrono::seconds(0), "", ""});
  EXPECT_TRUE(unbounded.Verify(Signed(Claims(R"("exp":4611686018427387904)")), kNow).ok());
  EXPECT_TRUE(unbounded.Verify(Signed(Claims("")), kNow).ok());
  // Minting honours the bound too.
  EXPECT_TRUE(t.Mint("alice", std::chrono::hours(24), kNow).ok());
  EXPECT_EQ(t.Mint("alice", std::chrono::hours(25), kNow).status().code(), Code::kInvalidArgument);
}

TEST(VoterTokensTest, AudienceAndIssuerAreRequiredWhenConfigured) {
  VoterTokens t("secret-1", {std::chrono::hours(24), "urna-votes", "https://id.example"});
  const std::string exp = R"("exp":1800000060,)";
  EXPECT_TRUE(
      t.Verify(Signed(Claims(exp + R"("aud":"urna-votes","iss":"https://id.example")")), kNow)
          .ok());
  EXPECT_TRUE(
      t.Verify(Signed(Claims(exp + R"("aud":["other","urna-votes"],"iss":"https://id.example")")),
               kNow)
          .ok());
  for (const std::string& bad : {
           exp + R"("iss":"https://id.example")",                        // no aud
           exp + R"("aud":"other","iss":"https://id.example")",          // wrong aud
           exp + R"("aud":["other"],"iss":"https://id.example")",        // not in the array
           exp + R"("aud":["urna-votesX"],"iss":"https://id.example")",  // prefix only
           exp + R"("aud":"urna-votes")",                                // no iss
           exp + R"("aud":"urna-votes","iss":"https://evil.example")",   // wrong iss
           exp + R"("aud":"urna-votes","iss":["https://id.example"])",   // iss not a string
       }) {
    EXPECT_EQ(t.Verify(Signed(Claims(bad)), kNow).status().code(), Code::kUnauthenticated) << bad;
  }
  // Without a configured audience a token meant for some audience is refused (RFC 7519 4.1.3);
  // an iss is then not checked.
  VoterTokens plain("secret-1");
  EXPECT_FALSE(plain.Verify(Signed(Claims(exp + R"("aud":"urna-votes")")), kNow).ok());
  EXPECT_TRUE(plain.Verify(Signed(Claims(exp + R"("iss":"anyone")")), kNow).ok());
  // Minted tokens carry the configured aud and iss, so they verify.
  auto tok = t.Mint("alice", std::chrono::hours(1), kNow);
  ASSERT_TRUE(tok.ok());
  EXPECT_TRUE(t.Verify(*tok, kNow).ok());
  EXPECT_FALSE(plain.Verify(*tok, kNow).ok());
  EXPECT_FALSE(VoterTokens("secret-1", {std::chrono::hours(24), "urna-votes", "other"})
                   .Verify(*tok, kNow)
                   .ok());
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
