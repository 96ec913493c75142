// Fuzzes the proof-of-work payload, the `altcha` field of a vote body: VerifyAltchaPayload
// (src/auth/altcha.cc) with a fixed key, election and clock, the input being the payload.
// Failures must be kInvalidArgument (a 400 challenge_invalid); an accepted solution must not be
// expired.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "auth/altcha.h"

namespace {

// The key, election and `now` the seeds in tests/fuzz/altcha_payload/ were made with
// (make_seeds.py).
constexpr std::string_view kKey = "fuzz-altcha-key-0123456789abcdef";
constexpr std::string_view kElection = "e1";
constexpr int64_t kNow = 1'700'000'000;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view payload(reinterpret_cast<const char*>(data), size);
  auto s = urna::VerifyAltchaPayload(kKey, payload, kElection, kNow);
  if (!s.ok()) {
    if (s.status().code() != urna::Code::kInvalidArgument) abort();
    return 0;
  }
  if (s->expires_s < kNow) abort();
  return 0;
}
