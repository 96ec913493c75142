#include "auth/altcha.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <optional>

#include "core/hex.h"

namespace urna {
namespace {

constexpr int64_t kNow = 1'800'000'000;
const std::string kKey = "test key";

std::string Base64(std::string_view raw) {
  std::string out(4 * ((raw.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(raw.data()),
                          static_cast<int>(raw.size()));
  out.resize(n);
  return out;
}

std::string Sha256Hex(const std::string& s) {
  unsigned char md[32];
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), md);
  return HexEncode(md);
}

// What a client does: try every number up to maxnumber.
std::optional<uint64_t> Solve(const AltchaChallenge& c) {
  for (uint64_t n = 0; n <= c.maxnumber; ++n) {
    if (Sha256Hex(c.salt + std::to_string(n)) == c.challenge) return n;
  }
  return std::nullopt;
}

std::string Payload(const AltchaChallenge& c, std::string number, std::string salt = "",
                    std::string signature = "") {
  if (salt.empty()) salt = c.salt;
  if (signature.empty()) signature = c.signature;
  return Base64(R"({"algorithm":"SHA-256","challenge":")" + c.challenge + R"(","number":)" +
                number + R"(,"salt":")" + salt + R"(","signature":")" + signature +
                R"(","took":12})");
}

struct Solved {
  AltchaChallenge challenge;
  uint64_t number;
  std::string payload;
};

Solved MakeSolved(std::string_view scope = "demo", uint64_t max = 2000, int64_t now = kNow) {
  auto c = CreateAltchaChallenge(kKey, scope, max, now, 300);
  EXPECT_TRUE(c.ok());
  auto n = Solve(*c);
  EXPECT_TRUE(n.has_value());
  return {*c, *n, Payload(*c, std::to_string(*n))};
}

void ExpectInvalid(const Result<AltchaSolution>& r, std::string_view words) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find(words), std::string::npos) << r.status().message();
}

TEST(Altcha, ChallengeHasTheAltchaShape) {
  auto c = CreateAltchaChallenge(kKey, "demo", 1000, kNow, 300);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->algorithm, "SHA-256");
  EXPECT_EQ(c->maxnumber, 1000u);
  EXPECT_EQ(c->challenge.size(), 64u);
  EXPECT_EQ(c->signature.size(), 64u);
  EXPECT_EQ(c->salt.substr(24), "?expires=" + std::to_string(kNow + 300) + "&election=demo&");
  EXPECT_TRUE(Solve(*c).has_value()) << "the number is within [0, maxnumber]";
  auto d = CreateAltchaChallenge(kKey, "demo", 1000, kNow, 300);
  EXPECT_NE(c->salt, d->salt);
}

TEST(Altcha, ValidSolutionVerifies) {
  auto s = MakeSolved();
  auto r = VerifyAltchaPayload(kKey, s.payload, "demo", kNow);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->expires_s, kNow + 300);
  // Up to and including the expiry second.
  EXPECT_TRUE(VerifyAltchaPayload(kKey, s.payload, "demo", kNow + 300).ok());
}

TEST(Altcha, TamperedSignatureOrOtherKeyIsRefused) {
  auto s = MakeSolved();
  std::string sig = s.challenge.signature;
  sig[10] = sig[10] == 'a' ? 'b' : 'a';
  ExpectInvalid(VerifyAltchaPayload(kKey, Payload(s.challenge, std::to_string(s.number), "", sig),
                                    "demo", kNow),
                "signature");
  ExpectInvalid(VerifyAltchaPayload("another key", s.payload, "demo", kNow), "signature");
}

TEST(Altcha, WrongNumberIsRefused) {
  auto s = MakeSolved();
  ExpectInvalid(
      VerifyAltchaPayload(kKey, Payload(s.challenge, std::to_string(s.number + 1)), "demo", kNow),
      "does not solve");
}

TEST(Altcha, ExpiredIsRefused) {
  auto s = MakeSolved();
  ExpectInvalid(VerifyAltchaPayload(kKey, s.payload, "demo", kNow + 301), "expired");
}

TEST(Altcha, AnotherElectionsChallengeIsRefused) {
  auto s = MakeSolved("easy");
  ExpectInvalid(VerifyAltchaPayload(kKey, s.payload, "demo", kNow), "not for this election");
}

TEST(Altcha, DigitsMovedFromTheNumberIntoTheSaltAreRefused) {
  // salt + "12" + "34" hashes like (salt + "12") + "34": the trailing '&' of our salts makes
  // the moved digits visible, so a client cannot stretch the expiry this way.
  // The number left behind must still be valid JSON: no leading zero ("05" is not a number).
  Solved s;
  std::string digits;
  do {
    s = MakeSolved();
    digits = std::to_string(s.number);
  } while (s.number < 10 || digits[1] == '0');
  auto moved = Payload(s.challenge, digits.substr(1), s.challenge.salt + digits.substr(0, 1));
  ExpectInvalid(VerifyAltchaPayload(kKey, moved, "demo", kNow), "not for this election");
}

TEST(Altcha, MalformedPayloadsAreRefused) {
  auto s = MakeSolved();
  const std::string n = std::to_string(s.number);
  for (std::string bad :
       {std::string(""), std::string("!!!!"), std::string("abc"), s.payload + "=",
        s.payload.substr(0, s.payload.size() - 4) + "A=AA", std::string(" ") + s.payload.substr(1),
        Base64("not json"), Base64("[1,2]"), Base64("{}"), Base64(R"({"algorithm":"SHA-256"})")}) {
    auto r = VerifyAltchaPayload(kKey, bad, "demo", kNow);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  }
  ExpectInvalid(VerifyAltchaPayload(kKey, Payload(s.challenge, '"' + n + '"'), "demo", kNow),
                "non-negative integer");
  ExpectInvalid(VerifyAltchaPayload(kKey, Payload(s.challenge, "-1"), "demo", kNow),
                "non-negative integer");
  ExpectInvalid(VerifyAltchaPayload(kKey, Payload(s.challenge, n + ".5"), "demo", kNow),
                "non-negative integer");
  std::string sha1 = Base64(R"({"algorithm":"SHA-1","challenge":")" + s.challenge.challenge +
                            R"(","number":)" + n + R"(,"salt":")" + s.challenge.salt +
                            R"(","signature":")" + s.challenge.signature + R"("})");
  ExpectInvalid(VerifyAltchaPayload(kKey, sha1, "demo", kNow), "SHA-256");
  std::string upper = s.challenge.signature;
  for (auto& c : upper) c = static_cast<char>(std::toupper(c));
  ExpectInvalid(VerifyAltchaPayload(kKey, Payload(s.challenge, n, "", upper), "demo", kNow), "hex");
}

TEST(Altcha, HugePayloadIsRefusedBeforeDecoding) {
  auto s = MakeSolved();
  std::string huge = Base64(std::string(1000, ' ') + "{}");
  ExpectInvalid(VerifyAltchaPayload(kKey, huge, "demo", kNow), "longer than");
  ExpectInvalid(VerifyAltchaPayload(kKey, std::string(10'000'000, 'A'), "demo", kNow),
                "longer than");
  std::string deep = Base64(std::string(600, '['));
  EXPECT_FALSE(VerifyAltchaPayload(kKey, deep, "demo", kNow).ok());
}

TEST(AltchaGuard, AcceptsEachSolutionOnce) {
  AltchaGuard guard(kKey, {.ttl_s = 300, .capacity = 10});
  auto c = guard.Create("demo", 1000, kNow);
  ASSERT_TRUE(c.ok());
  auto payload = Payload(*c, std::to_string(*Solve(*c)));
  EXPECT_TRUE(guard.Consume(payload, "demo", kNow).ok());
  auto again = guard.Consume(payload, "demo", kNow + 1);
  EXPECT_EQ(again.code(), Code::kInvalidArgument);
  EXPECT_NE(again.message().find("already used"), std::string::npos);
  EXPECT_EQ(guard.size(), 1u);
}

TEST(AltchaGuard, RefusesAtCapacityAndRecoversAsEntriesExpire) {
  AltchaGuard guard(kKey, {.ttl_s = 300, .capacity = 2});
  auto solve = [&](int64_t now) {
    auto c = guard.Create("demo", 500, now);
    return Payload(*c, std::to_string(*Solve(*c)));
  };
  EXPECT_TRUE(guard.Consume(solve(kNow), "demo", kNow).ok());
  EXPECT_TRUE(guard.Consume(solve(kNow), "demo", kNow).ok());
  auto third = solve(kNow);
  auto full = guard.Consume(third, "demo", kNow);
  EXPECT_EQ(full.code(), Code::kUnavailable) << "refuses rather than forgets";
  // Once the first two have expired they are dropped and a fresh solution is taken.
  EXPECT_TRUE(guard.Consume(solve(kNow + 301), "demo", kNow + 301).ok());
  EXPECT_EQ(guard.size(), 1u);
}

TEST(AltchaGuard, ClockSteppingBackDoesNotReviveAnExpiredChallenge) {
  AltchaGuard guard(kKey, {.ttl_s = 300, .capacity = 10});
  auto c = guard.Create("demo", 500, kNow);
  auto payload = Payload(*c, std::to_string(*Solve(*c)));
  EXPECT_TRUE(guard.Consume(payload, "demo", kNow).ok());
  // Another vote after the expiry purges the entry...
  auto later = guard.Create("demo", 500, kNow + 400);
  EXPECT_TRUE(
      guard.Consume(Payload(*later, std::to_string(*Solve(*later))), "demo", kNow + 400).ok());
  // ...then the wall clock steps back: the first payload is still refused.
  EXPECT_FALSE(guard.Consume(payload, "demo", kNow + 10).ok());
}

TEST(AltchaGuard, ChallengesOfAnotherProcessAreRefused) {
  // Each process signs with its own random key: a restart voids the challenges handed out
  // before it, which its empty replay set could not otherwise refuse a second time.
  AltchaGuard before({.ttl_s = 300, .capacity = 10});
  AltchaGuard after({.ttl_s = 300, .capacity = 10});
  auto c = before.Create("demo", 500, kNow);
  auto payload = Payload(*c, std::to_string(*Solve(*c)));
  auto s = after.Consume(payload, "demo", kNow);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_NE(s.message().find("signature"), std::string::npos);
  EXPECT_TRUE(before.Consume(payload, "demo", kNow).ok());
}

}  // namespace
}  // namespace urna
