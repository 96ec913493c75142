#include "auth/voter_tokens.h"

#include <jwt.h>
#include <openssl/crypto.h>

#include <array>
#include <cctype>
#include <cstdlib>
#include <memory>

#include "auth/jwt_hs256.h"
#include "auth/jwt_json.h"
#include "core/election.h"

namespace urna {
namespace {

using jwt::JsonField;
using jwt::JsonKind;

struct JwtFree {
  void operator()(jwt_t* j) const { jwt_free(j); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtFree>;

struct MallocFree {
  void operator()(char* p) const { free(p); }  // NOLINT: allocated by libjwt with malloc
};

constexpr size_t kMaxTokenBytes = 4096;
constexpr std::string_view kBadToken = "invalid token signature or format";

Status Unauthenticated(std::string message) {
  return Status(Code::kUnauthenticated, std::move(message));
}

// A NumericDate claim: absent (ok, *present false) or a finite JSON number (integer or
// fraction).
Status ReadDate(const JsonField& f, std::string_view name, double* value, bool* present) {
  *present = false;
  if (f.kind == JsonKind::kAbsent) return Status::Ok();
  if (f.kind != JsonKind::kNumber) {
    return Unauthenticated("token claim " + std::string(name) +
                           " must be a NumericDate (a number)");
  }
  *value = f.number;
  *present = true;
  return Status::Ok();
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// The header and claims members Verify reads, in the order of their JsonField arrays.
constexpr std::string_view kHeaderNames[] = {"alg", "typ", "crit"};
enum { kAlg, kTyp, kCrit, kHeaderCount };
constexpr std::string_view kClaimNames[] = {"exp", "nbf", "iat", "aud", "iss", "sub"};
enum { kExp, kNbf, kIat, kAud, kIss, kSub, kClaimCount };

}  // namespace

VoterTokens::VoterTokens(std::string secret, TokenPolicy policy)
    : secret_(std::move(secret)),
      policy_(std::move(policy)),
      key_(std::make_shared<const jwt::Hs256Key>(secret_)) {}

Result<std::string> VoterTokens::Verify(std::string_view token, int64_t now_s) const {
  if (token.empty() || token.size() > kMaxTokenBytes) {
    return Unauthenticated("missing or oversized bearer token");
  }
  // Compact JWS: header.claims.signature, each unpadded base64url.
  const size_t dot1 = token.find('.');
  const size_t dot2 = dot1 == token.npos ? token.npos : token.find('.', dot1 + 1);
  if (dot2 == token.npos) return Unauthenticated(std::string(kBadToken));
  const std::string_view signing_input = token.substr(0, dot2);
  std::array<unsigned char, kMaxTokenBytes / 4 * 3> buf;  // any decoded part fits

  int n = jwt::DecodeBase64Url(token.substr(0, dot1), buf.data(), buf.size());
  std::array<JsonField, kHeaderCount> head;
  if (n < 0 ||
      jwt::ReadTopLevelFields({reinterpret_cast<const char*>(buf.data()), static_cast<size_t>(n)},
                              kHeaderNames, head) != jwt::JsonRead::kOk) {
    return Unauthenticated(std::string(kBadToken));
  }
  if (head[kAlg].kind != JsonKind::kString || head[kAlg].text != "HS256") {
    return Unauthenticated("token must be signed with HS256");
  }
  if (head[kTyp].kind != JsonKind::kAbsent &&
      (head[kTyp].kind != JsonKind::kString || !EqualsIgnoreCase(head[kTyp].text, "JWT"))) {
    return Unauthenticated("token type (typ) must be JWT");
  }
  if (head[kCrit].kind != JsonKind::kAbsent) {  // RFC 7515 4.1.11: we understand no extension
    return Unauthenticated("token names critical header extensions (crit) urna does not know");
  }

  std::array<unsigned char, 32> mac;
  std::array<unsigned char, 33> sig;  // one spare byte: a longer signature fails to decode
  if (jwt::DecodeBase64Url(token.substr(dot2 + 1), sig.data(), sig.size()) != 32 ||
      !key_->Mac(signing_input, mac) || CRYPTO_memcmp(mac.data(), sig.data(), mac.size()) != 0) {
    return Unauthenticated(std::string(kBadToken));
  }

  // Only now, signed by the voter secret, are the claims read.
  n = jwt::DecodeBase64Url(token.substr(dot1 + 1, dot2 - dot1 - 1), buf.data(), buf.size());
  if (n < 0) return Unauthenticated(std::string(kBadToken));
  std::array<JsonField, kClaimCount> claims;
  switch (
      jwt::ReadTopLevelFields({reinterpret_cast<const char*>(buf.data()), static_cast<size_t>(n)},
                              kClaimNames, claims, policy_.audience)) {
    case jwt::JsonRead::kOk:
      break;
    case jwt::JsonRead::kDuplicate:
      return Unauthenticated("token claims name one claim twice");
    case jwt::JsonRead::kMalformed:
      return Unauthenticated("token claims are not a JSON object");
  }

  const double now = static_cast<double>(now_s);
  double exp = 0, nbf = 0, iat = 0;
  bool has_exp = false, has_nbf = false, has_iat = false;
  if (auto s = ReadDate(claims[kExp], "exp", &exp, &has_exp); !s.ok()) return s;
  if (auto s = ReadDate(claims[kNbf], "nbf", &nbf, &has_nbf); !s.ok()) return s;
  if (auto s = ReadDate(claims[kIat], "iat", &iat, &has_iat); !s.ok()) return s;
  const auto max_life = policy_.max_lifetime.count();
  if (!has_exp && max_life > 0) return Unauthenticated("token has no exp");
  if (has_exp && exp <= now) return Unauthenticated("token has expired");
  if (has_exp && max_life > 0 && exp - now > static_cast<double>(max_life)) {
    return Unauthenticated("token lifetime exceeds this server's maximum of " +
                           std::to_string(max_life) + " s");
  }
  if (has_nbf && nbf > now) return Unauthenticated("token is not valid yet");

  const JsonField& aud = claims[kAud];
  if (!policy_.audience.empty()) {
    const bool match = (aud.kind == JsonKind::kString && aud.text == policy_.audience) ||
                       (aud.kind == JsonKind::kArray && aud.has_wanted);
    if (!match) return Unauthenticated("token audience (aud) is not " + policy_.audience);
  } else if (aud.kind != JsonKind::kAbsent) {
    return Unauthenticated("token has an audience (aud) but this server has none configured");
  }
  if (!policy_.issuer.empty()) {
    const JsonField& iss = claims[kIss];
    if (iss.kind != JsonKind::kString || iss.text != policy_.issuer) {
      return Unauthenticated("token issuer (iss) is not " + policy_.issuer);
    }
  }
  JsonField& sub = claims[kSub];
  if (sub.kind != JsonKind::kString || !IsValidId(sub.text, 128)) {
    return Unauthenticated("token has no valid sub (voter id)");
  }
  return std::move(sub.text);
}

Result<std::string> VoterTokens::Mint(std::string_view voter_id, std::chrono::seconds ttl,
                                      int64_t now_s) const {
  if (!IsValidId(voter_id, 128)) {
    return Status(Code::kInvalidArgument, "voter id must be 1-128 characters of A-Z a-z 0-9 _ - .");
  }
  if (ttl.count() <= 0 || (policy_.max_lifetime.count() > 0 && ttl > policy_.max_lifetime)) {
    return Status(Code::kInvalidArgument,
                  "token lifetime must be positive and at most the maximum of " +
                      std::to_string(policy_.max_lifetime.count()) + " s");
  }
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0) return Status(Code::kInternal, "jwt_new failed");
  JwtPtr jwt(raw);
  std::string sub(voter_id);
  bool ok = jwt_add_grant(jwt.get(), "sub", sub.c_str()) == 0 &&
            jwt_add_grant_int(jwt.get(), "iat", now_s) == 0 &&
            jwt_add_grant_int(jwt.get(), "exp", now_s + ttl.count()) == 0;
  if (ok && !policy_.audience.empty()) {
    ok = jwt_add_grant(jwt.get(), "aud", policy_.audience.c_str()) == 0;
  }
  if (ok && !policy_.issuer.empty()) {
    ok = jwt_add_grant(jwt.get(), "iss", policy_.issuer.c_str()) == 0;
  }
  if (!ok ||
      jwt_set_alg(jwt.get(), JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(secret_.data()),
                  static_cast<int>(secret_.size())) != 0) {
    return Status(Code::kInternal, "cannot build token");
  }
  std::unique_ptr<char, MallocFree> out(jwt_encode_str(jwt.get()));
  if (!out) return Status(Code::kInternal, "cannot sign token");
  return std::string(out.get());
}

bool AdminTokenMatches(std::string_view expected, std::string_view presented) {
  if (expected.empty() || expected.size() != presented.size()) return false;
  return CRYPTO_memcmp(expected.data(), presented.data(), expected.size()) == 0;
}

std::string_view BearerToken(std::string_view h) {
  constexpr std::string_view kPrefix = "Bearer ";
  if (h.size() <= kPrefix.size()) return {};
  for (size_t i = 0; i < kPrefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(h[i])) !=
        std::tolower(static_cast<unsigned char>(kPrefix[i]))) {
      return {};
    }
  }
  h.remove_prefix(kPrefix.size());
  while (!h.empty() && h.front() == ' ') h.remove_prefix(1);
  return h;
}

}  // namespace urna
