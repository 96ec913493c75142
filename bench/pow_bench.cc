// Micro benchmarks of the proof-of-work check a vote pays in a bot_protection "pow" election
// (auth/altcha.h), next to the voter token check every vote pays, as a baseline in the same run.
// Run: build/release/bench/pow_bench
#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include <optional>
#include <string>
#include <vector>

#include "auth/altcha.h"
#include "auth/voter_tokens.h"

namespace {

constexpr int64_t kNow = 1'800'000'000;

// The payload a client sends for challenge `c` solved by `number`.
std::string Payload(const urna::AltchaChallenge& c, uint64_t number) {
  std::string json = R"({"algorithm":"SHA-256","challenge":")" + c.challenge + R"(","number":)" +
                     std::to_string(number) + R"(,"salt":")" + c.salt + R"(","signature":")" +
                     c.signature + R"(","took":120})";
  std::string out(4 * ((json.size() + 2) / 3), '\0');
  out.resize(EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                             reinterpret_cast<const unsigned char*>(json.data()),
                             static_cast<int>(json.size())));
  return out;
}

void BM_VerifyVoterToken(benchmark::State& state) {
  urna::VoterTokens tokens("bench-secret");
  auto tok = *tokens.Mint("voter-123456", std::chrono::hours(1), kNow);
  for (auto _ : state) benchmark::DoNotOptimize(tokens.Verify(tok, kNow));
}
BENCHMARK(BM_VerifyVoterToken);

// GET /v1/elections/{id}/challenge: randomness, one SHA-256, one HMAC.
void BM_AltchaCreateChallenge(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        urna::CreateAltchaChallenge("bench-key", "final-2026", 100000, kNow, 300));
  }
}
BENCHMARK(BM_AltchaCreateChallenge);

// The stateless part of a vote's check: decode, parse, HMAC, SHA-256, salt.
void BM_AltchaVerifyPayload(benchmark::State& state) {
  // maxnumber 0: the number is 0, so no solving is needed to make the payload.
  auto c = *urna::CreateAltchaChallenge("bench-key", "final-2026", 0, kNow, 300);
  std::string payload = Payload(c, 0);
  for (auto _ : state) {
    benchmark::DoNotOptimize(urna::VerifyAltchaPayload("bench-key", payload, "final-2026", kNow));
  }
}
BENCHMARK(BM_AltchaVerifyPayload);

// The whole check per vote: verify, then insert into the replay set (a fresh solution each
// time, so the set grows as under real load; capacity is not reached).
void BM_AltchaConsume(benchmark::State& state) {
  constexpr size_t kPayloads = 1 << 18;
  static const std::vector<std::string> payloads = [] {
    std::vector<std::string> v;
    v.reserve(kPayloads);
    for (size_t i = 0; i < kPayloads; ++i) {
      v.push_back(
          Payload(*urna::CreateAltchaChallenge("bench-key", "final-2026", 0, kNow, 300), 0));
    }
    return v;
  }();
  std::optional<urna::AltchaGuard> guard;
  guard.emplace("bench-key", urna::AltchaGuard::Options{.ttl_s = 300, .capacity = kPayloads});
  size_t i = 0;
  for (auto _ : state) {
    if (i == kPayloads) {  // start over with an empty set, outside the timing
      state.PauseTiming();
      guard.emplace("bench-key", urna::AltchaGuard::Options{.ttl_s = 300, .capacity = kPayloads});
      i = 0;
      state.ResumeTiming();
    }
    benchmark::DoNotOptimize(guard->Consume(payloads[i++], "final-2026", kNow));
  }
}
BENCHMARK(BM_AltchaConsume);

}  // namespace

BENCHMARK_MAIN();
