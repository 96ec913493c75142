#include "auth/voter_tokens.h"

#include <gtest/gtest.h>
#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <atomic>
#include <cstdlib>
#include <thread>
#include <vector>

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

// A token signed with HMAC-SHA-256 over exactly `header` and `claims` (raw JSON text).
std::string SignedWith(const std::string& header, const std::string& claims,
                       const std::string& key = "secret-1") {
  std::string input = B64Url(header) + "." + B64Url(claims);
  unsigned char mac[32];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
  return input + "." + B64Url(std::string(reinterpret_cast<char*>(mac), len));
}

// An HS256 token over exactly `claims` (raw JSON text), to test claims libjwt cannot build.
std::string Signed(const std::string& claims, const std::string& key = "secret-1") {
  return SignedWith(R"({"alg":"HS256","typ":"JWT"})", claims, key);
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

// --- Malformed tokens: each is refused with kUnauthenticated, whatever part is wrong.

const std::string kHead = R"({"alg":"HS256","typ":"JWT"})";
const std::string kGood = R"({"sub":"alice","exp":1800000060})";

void ExpectRefused(const VoterTokens& t, const std::string& token, const std::string& what,
                   const std::string& message_part = "") {
  auto r = t.Verify(token, kNow);
  ASSERT_FALSE(r.ok()) << what << ": accepted as " << *r;
  EXPECT_EQ(r.status().code(), Code::kUnauthenticated) << what;
  if (!message_part.empty()) {
    EXPECT_NE(r.status().message().find(message_part), std::string::npos)
        << what << ": " << r.status().message();
  }
}

TEST(VoterTokensMalformedTest, TheWellFormedReferenceVerifies) {
  VoterTokens t("secret-1");
  auto r = t.Verify(SignedWith(kHead, kGood), kNow);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(*r, "alice");
  // typ is optional, and compared without case; other header members are ignored.
  EXPECT_TRUE(t.Verify(SignedWith(R"({"alg":"HS256"})", kGood), kNow).ok());
  EXPECT_TRUE(t.Verify(SignedWith(R"({"typ":"jwt","alg":"HS256","kid":"k1"})", kGood), kNow).ok());
  // JSON escapes are JSON: "\u0061lice" is alice.
  EXPECT_EQ(*t.Verify(SignedWith(kHead, R"({"sub":"\u0061lice","exp":1800000060})"), kNow),
            "alice");
}

TEST(VoterTokensMalformedTest, BadBase64AndBadStructure) {
  VoterTokens t("secret-1");
  const std::string good = SignedWith(kHead, kGood);
  const size_t d1 = good.find('.'), d2 = good.rfind('.');
  const std::string head = good.substr(0, d1), claims = good.substr(d1 + 1, d2 - d1 - 1),
                    sig = good.substr(d2 + 1);
  ASSERT_EQ(sig.size(), 43u);
  ExpectRefused(t, "a.b", "two parts");
  ExpectRefused(t, good + ".", "four parts");
  ExpectRefused(t, "..", "empty parts");
  ExpectRefused(t, head + "." + claims + ".", "no signature");
  ExpectRefused(t, "*" + good.substr(1), "a character outside base64url in the header");
  ExpectRefused(t, head + "." + claims.substr(0, 5) + "+" + claims.substr(6) + "." + sig,
                "standard base64 '+' in the claims");
  ExpectRefused(t, head + "." + claims + "." + sig + "=", "padding on the signature");
  ExpectRefused(t, head + "." + claims + "=." + sig, "padding on the claims");
  ExpectRefused(t, head + "." + claims + "." + sig.substr(0, 42), "short signature");
  ExpectRefused(t, head + "." + claims + "." + sig + "AAAA", "long signature");
  ExpectRefused(t, head + "." + claims + "A." + sig, "claims of length 4k+1");
  ExpectRefused(t, " " + good, "leading space");
  ExpectRefused(t, good + "\n", "trailing newline");
  // The last character of a 43-character signature carries 4 unused bits: a second spelling
  // of the same bytes is refused (one encoding per signature).
  std::string respelled = good;
  char& last = respelled.back();
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  last = alphabet[alphabet.find(last) | 1];
  if (respelled != good) ExpectRefused(t, respelled, "non-canonical signature spelling");
  ExpectRefused(t, std::string(4097, 'a'), "oversized", "oversized");
}

TEST(VoterTokensMalformedTest, OnlyHs256IsAccepted) {
  VoterTokens t("secret-1");
  ExpectRefused(t, SignedWith(R"({"alg":"none","typ":"JWT"})", kGood), "alg none, signed", "HS256");
  ExpectRefused(t, B64Url(R"({"alg":"none"})") + "." + B64Url(kGood) + ".", "alg none, unsigned");
  ExpectRefused(t, SignedWith(R"({"alg":"HS512"})", kGood), "alg HS512", "HS256");
  ExpectRefused(t, SignedWith(R"({"alg":"RS256"})", kGood), "alg RS256", "HS256");
  ExpectRefused(t, SignedWith(R"({"alg":"hs256"})", kGood), "alg in lower case", "HS256");
  ExpectRefused(t, SignedWith(R"({"typ":"JWT"})", kGood), "no alg", "HS256");
  ExpectRefused(t, SignedWith(R"({"alg":256})", kGood), "alg a number", "HS256");
  ExpectRefused(t, SignedWith(R"({"alg":["HS256"]})", kGood), "alg an array", "HS256");
  ExpectRefused(t, SignedWith(R"({"alg":"HS256","alg":"HS256"})", kGood), "alg twice");
  ExpectRefused(t, SignedWith(R"({"alg":"HS256","typ":"at+jwt"})", kGood), "typ other", "typ");
  ExpectRefused(t, SignedWith(R"({"alg":"HS256","typ":1})", kGood), "typ a number", "typ");
  ExpectRefused(t, SignedWith(R"({"alg":"HS256","crit":["exp"]})", kGood), "crit", "crit");
  ExpectRefused(t, SignedWith(R"(["HS256"])", kGood), "header an array");
  ExpectRefused(t, SignedWith(R"({"alg":"HS256")", kGood), "header cut short");
  ExpectRefused(t, SignedWith(R"({"alg":"HS256"} {})", kGood), "two header objects");
  ExpectRefused(t, SignedWith(R"({"alg":"HS256",})", kGood), "trailing comma");
  ExpectRefused(t, SignedWith(R"({"alg":"HS256"/**/})", kGood), "comment");
  // Signed with another key, or with the right key over other bytes.
  ExpectRefused(t, SignedWith(kHead, kGood, "secret-2"), "other key", "signature");
  ExpectRefused(t, SignedWith(kHead, kGood, ""), "empty key", "signature");
  ExpectRefused(VoterTokens(""), SignedWith(kHead, kGood, ""), "no secret configured");
}

TEST(VoterTokensMalformedTest, ClaimsMustBeOneObjectWithEachClaimOnce) {
  VoterTokens t("secret-1");
  for (const std::string& bad :
       {std::string(R"(["alice"])"), std::string(R"("alice")"), std::string("42"), std::string(""),
        std::string("{"), std::string(R"({"sub":"alice","exp":1800000060}x)"),
        std::string(R"({"sub":"alice","exp":1800000060}{})"),
        std::string("{\"sub\":\"al\xff\",\"exp\":1800000060}")}) {
    ExpectRefused(t, Signed(bad), "claims " + bad);
  }
  ExpectRefused(t, Signed(R"({"sub":"alice","sub":"mallory","exp":1800000060})"), "sub twice",
                "twice");
  ExpectRefused(t, Signed(R"({"sub":"alice","\u0073ub":"mallory","exp":1800000060})"),
                "sub twice, once escaped", "twice");
  ExpectRefused(t, Signed(R"({"sub":"alice","exp":1800000060,"exp":1800000061})"), "exp twice",
                "twice");
  // Claims urna does not read may take any JSON value, nested included, and repeat.
  EXPECT_TRUE(t.Verify(Signed(R"({"sub":"alice","exp":1800000060,"jti":"x","jti":"y",)"
                              R"("ctx":{"sub":"mallory","exp":1,"aud":["a",{"b":[null,true]}]},)"
                              R"("roles":[["sub"],{"x":1e999}],"f":false,"n":null})"),
                       kNow)
                  .ok());
}

TEST(VoterTokensMalformedTest, ClaimTypesAndValues) {
  VoterTokens t("secret-1");
  for (const std::string& sub :
       {std::string("42"), std::string("null"), std::string("true"), std::string(R"(["alice"])"),
        std::string(R"({"id":"alice"})"), std::string(R"("")"), std::string(R"("a\u0000b")"),
        std::string('"' + std::string(129, 'a') + '"')}) {
    ExpectRefused(t, Signed(R"({"exp":1800000060,"sub":)" + sub + "}"), "sub " + sub, "sub");
  }
  EXPECT_TRUE(
      t.Verify(Signed(R"({"exp":1800000060,"sub":")" + std::string(128, 'a') + "\"}"), kNow).ok());
  // Expired at exactly exp; valid one second before.
  ExpectRefused(t, Signed(Claims(R"("exp":1800000000)")), "exp == now", "expired");
  EXPECT_TRUE(t.Verify(Signed(Claims(R"("exp":1800000001)")), kNow).ok());
  ExpectRefused(t, Signed(Claims(R"("exp":-1)")), "negative exp", "expired");
  // An audience must be a string or an array of strings holding the configured one; one
  // nested deeper does not count.
  VoterTokens aud("secret-1", {std::chrono::hours(24), "urna", ""});
  EXPECT_TRUE(aud.Verify(Signed(Claims(R"("exp":1800000060,"aud":["x","urna"])")), kNow).ok());
  for (const std::string& bad :
       {std::string("1"), std::string("null"), std::string(R"({"aud":"urna"})"),
        std::string(R"([["urna"]])"), std::string(R"([{"x":"urna"}])"), std::string("[]")}) {
    ExpectRefused(aud, Signed(Claims(R"("exp":1800000060,"aud":)" + bad)), "aud " + bad, "aud");
  }
}

TEST(VoterTokensMalformedTest, OverflowingNumbers) {
  VoterTokens t("secret-1");
  VoterTokens unbounded("secret-1", {std::chrono::seconds(0), "", ""});
  // Past double's range: not a usable NumericDate, even without a lifetime bound.
  for (const char* bad : {"1e400", "-1e400"}) {
    for (const VoterTokens* v : {&t, &unbounded}) {
      ExpectRefused(*v, Signed(Claims(std::string(R"("exp":)") + bad)), bad, "NumericDate");
      ExpectRefused(*v, Signed(Claims(std::string(R"("exp":1800000060,"nbf":)") + bad)), bad,
                    "NumericDate");
    }
  }
  // An exponent the JSON parser cannot even hold: malformed claims.
  ExpectRefused(unbounded, Signed(Claims(R"("exp":1e999999999999)")), "huge exponent");
  // Integers past 64 bits are numbers (far in the future): over the bound, fine without it.
  const std::string big = R"("exp":123456789012345678901234567890)";
  ExpectRefused(t, Signed(Claims(big)), "exp past 2^64", "maximum");
  EXPECT_TRUE(unbounded.Verify(Signed(Claims(big)), kNow).ok());
  ExpectRefused(t, Signed(Claims(R"("exp":-123456789012345678901234567890)")), "exp below -2^63",
                "expired");
  ExpectRefused(t, Signed(Claims(R"("exp":1800000060,"nbf":18446744073709551616)")),
                "nbf past 2^64", "not valid yet");
  ExpectRefused(t, Signed(Claims(R"("exp":01800000060)")), "leading zero (not JSON)");
  ExpectRefused(t, Signed(Claims(R"("exp":1800000060.)")), "bare decimal point (not JSON)");
}

TEST(VoterTokensMalformedTest, KeysStaySeparateOnOneThreadAndAcrossThreads) {
  VoterTokens a("secret-a"), b("secret-b");
  VoterTokens a_copy = a;
  const std::string ta = *a.Mint("alice", std::chrono::hours(1), kNow);
  const std::string tb = *b.Mint("bob", std::chrono::hours(1), kNow);
  for (int i = 0; i < 3; ++i) {  // alternate the keys on one thread
    EXPECT_EQ(*a.Verify(ta, kNow), "alice");
    EXPECT_FALSE(a.Verify(tb, kNow).ok());
    EXPECT_EQ(*b.Verify(tb, kNow), "bob");
    EXPECT_FALSE(b.Verify(ta, kNow).ok());
    EXPECT_EQ(*a_copy.Verify(ta, kNow), "alice");
  }
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int n = 0; n < 4; ++n) {
    threads.emplace_back([&, n] {
      for (int i = 0; i < 500; ++i) {
        const VoterTokens& v = (i + n) % 2 ? a : b;
        const std::string& mine = (i + n) % 2 ? ta : tb;
        const std::string& other = (i + n) % 2 ? tb : ta;
        if (!v.Verify(mine, kNow).ok() || v.Verify(other, kNow).ok()) ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace urna
