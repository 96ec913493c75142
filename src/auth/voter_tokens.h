// VoterTokens: verifies and mints voter bearer tokens: JWTs signed HS256 with the voter secret,
// `sub` = voter id, `exp` honoured. Uses libjwt (Debian) for parsing and signatures.
// Immutable after construction; thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace urna {

class VoterTokens {
 public:
  explicit VoterTokens(std::string secret) : secret_(std::move(secret)) {}

  // The voter id of a valid token. kUnauthenticated for any other algorithm (`none`
  // included), a bad signature, a token past its `exp` or before its `nbf`, or no valid `sub`.
  Result<std::string> Verify(std::string_view token, int64_t now_s) const;

  // A token for `voter_id` valid for `ttl`.
  Result<std::string> Mint(std::string_view voter_id, std::chrono::seconds ttl,
                           int64_t now_s) const;

 private:
  std::string secret_;
};

// Admin calls: `Authorization: Bearer <admin token>`, compared in constant time.
bool AdminTokenMatches(std::string_view expected, std::string_view presented);

// "Bearer xyz" -> "xyz"; empty if the header is not a bearer credential.
std::string_view BearerToken(std::string_view authorization_header);

}  // namespace urna
