#include "auth/voter_tokens.h"

#include <jwt.h>
#include <openssl/crypto.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cctype>
#include <cstdlib>
#include <memory>

#include "core/election.h"

namespace urna {
namespace {

namespace json = boost::json;

struct JwtFree {
  void operator()(jwt_t* j) const { jwt_free(j); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtFree>;

struct MallocFree {
  void operator()(char* p) const { free(p); }  // NOLINT: allocated by libjwt with malloc
};

Status Unauthenticated(std::string message) {
  return Status(Code::kUnauthenticated, std::move(message));
}

// A NumericDate claim: absent (ok, *present false) or a JSON number (integer or fraction).
Status ReadDate(const json::object& claims, std::string_view name, double* value, bool* present) {
  *present = false;
  const json::value* v = claims.if_contains(name);
  if (v == nullptr) return Status::Ok();
  if (!v->is_number()) {
    return Unauthenticated("token claim " + std::string(name) +
                           " must be a NumericDate (a number)");
  }
  *value = v->to_number<double>();
  *present = true;
  return Status::Ok();
}

bool AudienceMatches(const json::value& aud, std::string_view want) {
  if (aud.is_string()) return aud.get_string() == want;
  if (!aud.is_array()) return false;
  for (const auto& a : aud.get_array()) {
    if (a.is_string() && a.get_string() == want) return true;
  }
  return false;
}

}  // namespace

Result<std::string> VoterTokens::Verify(std::string_view token, int64_t now_s) const {
  if (token.empty() || token.size() > 4096) {
    return Unauthenticated("missing or oversized bearer token");
  }
  std::string tok(token);
  jwt_t* raw = nullptr;
  int rc = jwt_decode(&raw, tok.c_str(), reinterpret_cast<const unsigned char*>(secret_.data()),
                      static_cast<int>(secret_.size()));
  JwtPtr jwt(raw);
  if (rc != 0 || !jwt) return Unauthenticated("invalid token signature or format");
  if (jwt_get_alg(jwt.get()) != JWT_ALG_HS256) {
    return Unauthenticated("token must be signed with HS256");
  }
  // libjwt reads integer claims only (a fractional `exp` looked absent), so the claims are
  // read from its JSON with Boost.JSON, which keeps each claim's type.
  std::unique_ptr<char, MallocFree> grants(jwt_get_grants_json(jwt.get(), nullptr));
  if (!grants) return Unauthenticated("token has no claims");
  boost::system::error_code ec;
  json::value parsed = json::parse(grants.get(), ec);
  if (ec || !parsed.is_object()) return Unauthenticated("token claims are not a JSON object");
  const json::object& claims = parsed.get_object();

  const double now = static_cast<double>(now_s);
  double exp = 0, nbf = 0, iat = 0;
  bool has_exp = false, has_nbf = false, has_iat = false;
  if (auto s = ReadDate(claims, "exp", &exp, &has_exp); !s.ok()) return s;
  if (auto s = ReadDate(claims, "nbf", &nbf, &has_nbf); !s.ok()) return s;
  if (auto s = ReadDate(claims, "iat", &iat, &has_iat); !s.ok()) return s;
  const auto max_life = policy_.max_lifetime.count();
  if (!has_exp && max_life > 0) return Unauthenticated("token has no exp");
  if (has_exp && exp <= now) return Unauthenticated("token has expired");
  if (has_exp && max_life > 0 && exp - now > static_cast<double>(max_life)) {
    return Unauthenticated("token lifetime exceeds this server's maximum of " +
                           std::to_string(max_life) + " s");
  }
  if (has_nbf && nbf > now) return Unauthenticated("token is not valid yet");

  const json::value* aud = claims.if_contains("aud");
  if (!policy_.audience.empty()) {
    if (aud == nullptr || !AudienceMatches(*aud, policy_.audience)) {
      return Unauthenticated("token audience (aud) is not " + policy_.audience);
    }
  } else if (aud != nullptr) {
    return Unauthenticated("token has an audience (aud) but this server has none configured");
  }
  if (!policy_.issuer.empty()) {
    const json::value* iss = claims.if_contains("iss");
    if (iss == nullptr || !iss->is_string() || iss->get_string() != policy_.issuer) {
      return Unauthenticated("token issuer (iss) is not " + policy_.issuer);
    }
  }
  const json::value* sub = claims.if_contains("sub");
  if (sub == nullptr || !sub->is_string() || !IsValidId(sub->get_string(), 128)) {
    return Unauthenticated("token has no valid sub (voter id)");
  }
  return std::string(sub->get_string());
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
