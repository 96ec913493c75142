// Fuzzes voter token verification (src/auth/voter_tokens.cc VoterTokens::Verify: urna's own
// base64url and HS256 check, Boost.JSON's SAX parser for the header and claims) with a fixed
// secret and a fixed clock, the input being the bearer token. An accepted token must name a
// valid voter id, and a token minted for that voter (libjwt) must verify to the same id.
// Boost.JSON is compiled into urna (instrumented); OpenSSL and libjwt are not.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "auth/voter_tokens.h"
#include "core/election.h"

namespace {

// The secret and `now` the seed tokens in tests/fuzz/voter_token/ were made with.
constexpr std::string_view kSecret = "fuzz-voter-secret-0123456789abcdef";
constexpr int64_t kNow = 1'700'000'000;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const urna::VoterTokens tokens{std::string(kSecret)};
  std::string_view token(reinterpret_cast<const char*>(data), size);
  auto voter = tokens.Verify(token, kNow);
  if (!voter.ok()) {
    if (voter.status().code() != urna::Code::kUnauthenticated) abort();
    return 0;
  }
  if (!urna::IsValidId(*voter, 128)) abort();
  auto minted = tokens.Mint(*voter, std::chrono::hours(1), kNow);
  if (!minted.ok()) abort();
  auto again = tokens.Verify(*minted, kNow);
  if (!again.ok() || *again != *voter) abort();
  return 0;
}
