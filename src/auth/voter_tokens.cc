#include "auth/voter_tokens.h"

#include <jwt.h>
#include <openssl/crypto.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <memory>

#include "core/election.h"

namespace urna {
namespace {

struct JwtFree {
  void operator()(jwt_t* j) const { jwt_free(j); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtFree>;

}  // namespace

Result<std::string> VoterTokens::Verify(std::string_view token, int64_t now_s) const {
  if (token.empty() || token.size() > 4096) {
    return Status(Code::kUnauthenticated, "missing or oversized bearer token");
  }
  std::string tok(token);
  jwt_t* raw = nullptr;
  int rc = jwt_decode(&raw, tok.c_str(), reinterpret_cast<const unsigned char*>(secret_.data()),
                      static_cast<int>(secret_.size()));
  JwtPtr jwt(raw);
  if (rc != 0 || !jwt) return Status(Code::kUnauthenticated, "invalid token signature or format");
  if (jwt_get_alg(jwt.get()) != JWT_ALG_HS256) {
    return Status(Code::kUnauthenticated, "token must be signed with HS256");
  }
  errno = 0;
  long exp = jwt_get_grant_int(jwt.get(), "exp");
  if (errno == 0 && exp <= now_s) return Status(Code::kUnauthenticated, "token has expired");
  errno = 0;
  long nbf = jwt_get_grant_int(jwt.get(), "nbf");
  if (errno == 0 && nbf > now_s) return Status(Code::kUnauthenticated, "token is not valid yet");
  const char* sub = jwt_get_grant(jwt.get(), "sub");
  if (sub == nullptr || !IsValidId(sub, 128)) {
    return Status(Code::kUnauthenticated, "token has no valid sub (voter id)");
  }
  return std::string(sub);
}

Result<std::string> VoterTokens::Mint(std::string_view voter_id, std::chrono::seconds ttl,
                                      int64_t now_s) const {
  if (!IsValidId(voter_id, 128)) {
    return Status(Code::kInvalidArgument, "voter id must be 1-128 characters of A-Z a-z 0-9 _ - .");
  }
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0) return Status(Code::kInternal, "jwt_new failed");
  JwtPtr jwt(raw);
  std::string sub(voter_id);
  if (jwt_add_grant(jwt.get(), "sub", sub.c_str()) != 0 ||
      jwt_add_grant_int(jwt.get(), "iat", now_s) != 0 ||
      jwt_add_grant_int(jwt.get(), "exp", now_s + ttl.count()) != 0 ||
      jwt_set_alg(jwt.get(), JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(secret_.data()),
                  static_cast<int>(secret_.size())) != 0) {
    return Status(Code::kInternal, "cannot build token");
  }
  char* out = jwt_encode_str(jwt.get());
  if (out == nullptr) return Status(Code::kInternal, "cannot sign token");
  std::string s(out);
  free(out);  // NOLINT: allocated by libjwt with malloc
  return s;
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
