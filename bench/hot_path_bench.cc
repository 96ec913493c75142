// Micro benchmarks of the per-vote work on the ingest hot path (Google Benchmark).
// Run: build/release/bench/hot_path_bench
#include <benchmark/benchmark.h>

#include <chrono>
#include <string>
#include <vector>

#include "adapters/codec/proto_codec.h"
#include "auth/request_limits.h"
#include "auth/voter_tokens.h"
#include "core/partition.h"
#include "core/uuid7.h"

namespace {

constexpr int64_t kNow = 1'800'000'000;

void BM_VerifyVoterToken(benchmark::State& state) {
  urna::VoterTokens tokens("bench-secret");
  auto tok = *tokens.Mint("voter-123456", std::chrono::hours(1), kNow);
  for (auto _ : state) benchmark::DoNotOptimize(tokens.Verify(tok, kNow));
}
BENCHMARK(BM_VerifyVoterToken);

int64_t MonotonicNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The rate-limit work of one vote as the API does it: the address check in the gate and the
// voter check after the token, with the monotonic clock read for each, over 1M distinct voters
// and 64k addresses (default tables, 2^20 slots each), so the table lookups miss the cache as
// they would under real load. Run with 1 and 2 threads (the network threads share the tables).
void BM_RateLimitsPerVote(benchmark::State& state) {
  static auto* limits = [] {
    urna::RequestLimitOptions o;  // the defaults of `urna serve`
    return urna::RequestLimits::Create(o)->release();
  }();
  static const auto* voters = [] {
    auto* v = new std::vector<std::string>;
    for (int64_t i = 0; i < (1 << 20); ++i) v->push_back("voter-" + std::to_string(i * 7919));
    return v;
  }();
  static const auto* addresses = [] {
    auto* v = new std::vector<std::string>;
    for (int i = 0; i < 1 << 16; ++i) {
      v->push_back("10." + std::to_string(i >> 8) + "." + std::to_string(i & 255) + ".1");
    }
    return v;
  }();
  size_t i = state.thread_index() * 7777;
  for (auto _ : state) {
    ++i;
    benchmark::DoNotOptimize(limits->Address((*addresses)[i & 0xFFFF], "", MonotonicNs()));
    benchmark::DoNotOptimize(limits->Voter((*voters)[i & 0xFFFFF], MonotonicNs()));
  }
}
BENCHMARK(BM_RateLimitsPerVote)->Threads(1)->Threads(2);

void BM_NewUuid7(benchmark::State& state) {
  int64_t t = 1'800'000'000'000;
  for (auto _ : state) benchmark::DoNotOptimize(urna::NewUuid7(t++));
}
BENCHMARK(BM_NewUuid7);

void BM_EncodeVoteRecord(benchmark::State& state) {
  urna::VoteEvent v{urna::NewUuid7(1), "grand-final", "aurora", "voter-123456", 1, "node-1"};
  for (auto _ : state) benchmark::DoNotOptimize(urna::codec::EncodeVoteRecord(v));
}
BENCHMARK(BM_EncodeVoteRecord);

void BM_DecodeVoteRecord(benchmark::State& state) {
  urna::VoteEvent v{urna::NewUuid7(1), "grand-final", "aurora", "voter-123456", 1, "node-1"};
  std::string bytes = urna::codec::EncodeVoteRecord(v);
  for (auto _ : state) benchmark::DoNotOptimize(urna::codec::DecodeVoteRecord(bytes));
}
BENCHMARK(BM_DecodeVoteRecord);

void BM_PartitionFor(benchmark::State& state) {
  for (auto _ : state)
    benchmark::DoNotOptimize(urna::PartitionFor("grand-final", "voter-123456", 8));
}
BENCHMARK(BM_PartitionFor);

}  // namespace

BENCHMARK_MAIN();
