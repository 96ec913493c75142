// VoterTokens: verifies and mints voter bearer tokens: JWTs signed HS256 with the voter secret,
// `sub` = voter id. Time claims (`exp`, `nbf`, `iat`) are RFC 7519 NumericDates (any JSON
// number, fractions included); `exp` is bounded by a maximum lifetime; `aud` / `iss` are
// required when the policy names them. Verifying is on every vote's path: one reused OpenSSL
// HMAC over the token's signing input, a constant-time compare, and Boost.JSON's SAX parser for
// the few header fields and claims urna checks (auth/jwt_hs256.h, auth/jwt_json.h: no JSON DOM
// and no libjwt per call). Minting uses libjwt (Debian). Immutable after construction;
// thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace urna {
namespace jwt {
class Hs256Key;
}

// What a valid token must carry besides its signature and `sub`.
struct TokenPolicy {
  // A token's `exp` may lie at most this far beyond the time of the request (`exp - now`, so
  // the bound holds whatever `iat` the issuer wrote). 0 = no bound, and then `exp` is optional.
  std::chrono::seconds max_lifetime = std::chrono::hours(24);
  std::string audience;  // non-empty: `aud` must be it or an array holding it
  std::string issuer;    // non-empty: `iss` must be it
};

class VoterTokens {
 public:
  explicit VoterTokens(std::string secret, TokenPolicy policy = {});

  // The voter id of a valid token. kUnauthenticated for a token that is not three unpadded
  // base64url parts of a JSON header and claims objects, any algorithm but HS256 (`none`
  // included), a `typ` other than JWT, a `crit` header, a bad signature, a claim urna reads
  // that appears twice, a time claim that is not a finite number, a token past its `exp`,
  // before its `nbf` or whose `exp` is more than max_lifetime away, a missing or wrong
  // `aud` / `iss` (an `aud` is refused when no audience is configured: RFC 7519 4.1.3), or no
  // valid `sub`. `now_s` is the server's time in seconds.
  Result<std::string> Verify(std::string_view token, int64_t now_s) const;

  // A token for `voter_id` valid for `ttl`, carrying the policy's `aud` and `iss`.
  // kInvalidArgument when `ttl` exceeds max_lifetime.
  Result<std::string> Mint(std::string_view voter_id, std::chrono::seconds ttl,
                           int64_t now_s) const;

  const TokenPolicy& policy() const { return policy_; }

 private:
  std::string secret_;
  TokenPolicy policy_;
  std::shared_ptr<const jwt::Hs256Key> key_;  // shared by copies: immutable
};

// Admin calls: `Authorization: Bearer <admin token>`, compared in constant time.
bool AdminTokenMatches(std::string_view expected, std::string_view presented);

// "Bearer xyz" -> "xyz"; empty if the header is not a bearer credential.
std::string_view BearerToken(std::string_view authorization_header);

}  // namespace urna
