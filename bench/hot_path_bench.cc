// Micro benchmarks of the per-vote work on the ingest hot path (Google Benchmark).
// Run: build/release/bench/hot_path_bench
#include <benchmark/benchmark.h>

#include "adapters/codec/proto_codec.h"
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
