// Micro benchmarks of the per-vote work on the ingest hot path (Google Benchmark): token
// verification (today's and, for comparison in the same run, the libjwt path urna used until
// 2026-11-30, with its two parts), body parsing, the ingest's append work and the processor's
// decision, each per vote.
// Run: build/release/bench/hot_path_bench [--benchmark_filter=Token]
#include <benchmark/benchmark.h>
#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "adapters/codec/proto_codec.h"
#include "adapters/memory/memory_admission.h"
#include "adapters/memory/memory_catalog.h"
#include "adapters/memory/memory_processor_state.h"
#include "adapters/memory/memory_read_model.h"
#include "adapters/memory/memory_vote_log.h"
#include "app/json_util.h"
#include "auth/jwt_hs256.h"
#include "auth/jwt_json.h"
#include "auth/request_limits.h"
#include "auth/voter_tokens.h"
#include "core/partition.h"
#include "core/uuid7.h"
#include "ingest/ingest_service.h"
#include "net/router.h"
#include "processor/partition_processor.h"

namespace {

constexpr int64_t kNow = 1'800'000'000;
// A token as bench/make_tokens.py writes them (what scripts/bench sends).
const std::string kClaims = R"({"sub": "bench-voter-123456", "exp": 1800003600})";

void BM_VerifyVoterToken(benchmark::State& state) {
  urna::VoterTokens tokens("bench-secret");
  auto tok = *tokens.Mint("voter-123456", std::chrono::hours(1), kNow);
  for (auto _ : state) benchmark::DoNotOptimize(tokens.Verify(tok, kNow));
}
BENCHMARK(BM_VerifyVoterToken);

// The verification of 1da079c, for the same-run comparison: libjwt's jwt_decode (jansson for
// header and claims, OpenSSL's one-shot HMAC), the claims dumped back to JSON and read with
// Boost.JSON. The claim checks are left out (the same in both), so this slightly favours it.
void BM_VerifyVoterTokenLibjwt(benchmark::State& state) {
  const std::string secret = "bench-secret";
  urna::VoterTokens tokens(secret);
  auto tok = *tokens.Mint("voter-123456", std::chrono::hours(1), kNow);
  for (auto _ : state) {
    jwt_t* jwt = nullptr;
    std::string copy(tok);
    int rc = jwt_decode(&jwt, copy.c_str(), reinterpret_cast<const unsigned char*>(secret.data()),
                        static_cast<int>(secret.size()));
    if (rc != 0 || jwt_get_alg(jwt) != JWT_ALG_HS256) state.SkipWithError("libjwt refused");
    char* grants = jwt_get_grants_json(jwt, nullptr);
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(grants, ec);
    std::string sub(v.as_object().at("sub").as_string());
    benchmark::DoNotOptimize(sub);
    free(grants);  // NOLINT: libjwt's malloc
    jwt_free(jwt);
  }
}
BENCHMARK(BM_VerifyVoterTokenLibjwt);

// The signature part alone: OpenSSL's one-shot HMAC() (what libjwt calls; it looks SHA-256 up
// on every call) against Hs256Key's reused per-thread context.
void BM_HmacOneShot(benchmark::State& state) {
  const std::string key = "bench-secret", input(110, 'x');
  unsigned char mac[32];
  unsigned int len = 0;
  for (auto _ : state) {
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
    benchmark::DoNotOptimize(mac);
  }
}
BENCHMARK(BM_HmacOneShot);

void BM_Hs256KeyMac(benchmark::State& state) {
  urna::jwt::Hs256Key key("bench-secret");
  const std::string input(110, 'x');
  std::array<unsigned char, 32> mac;
  for (auto _ : state) benchmark::DoNotOptimize(key.Mac(input, mac));
}
BENCHMARK(BM_Hs256KeyMac);

// The claims part alone: a Boost.JSON DOM (even on a stack arena) against the SAX reader.
void BM_ClaimsDom(benchmark::State& state) {
  for (auto _ : state) {
    unsigned char arena[1024];
    boost::json::monotonic_resource mr(arena, sizeof arena);
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(kClaims, ec, &mr);
    benchmark::DoNotOptimize(v.as_object().if_contains("sub"));
  }
}
BENCHMARK(BM_ClaimsDom);

void BM_ClaimsSax(benchmark::State& state) {
  constexpr std::string_view kNames[] = {"exp", "nbf", "iat", "aud", "iss", "sub"};
  std::array<urna::jwt::JsonField, 6> fields;
  for (auto _ : state) {
    benchmark::DoNotOptimize(urna::jwt::ReadTopLevelFields(kClaims, kNames, fields));
  }
}
BENCHMARK(BM_ClaimsSax);

// The vote's body as the API parses it today (a Boost.JSON DOM on the heap).
void BM_ParseVoteBody(benchmark::State& state) {
  const std::string body = R"({"option":"a"})";
  for (auto _ : state) benchmark::DoNotOptimize(urna::app::ParseObject(body));
}
BENCHMARK(BM_ParseVoteBody);

// Routing a vote's request among the API's routes (the patterns of app/api.cc) to its handler.
void BM_RouteVote(benchmark::State& state) {
  urna::net::Router router;
  int hits = 0;
  auto route = [&hits](urna::net::HttpRequest&, urna::net::PathParams& p, urna::net::Responder) {
    hits += static_cast<int>(p.size());
  };
  for (const char* pattern : {"/v1/elections",
                              "/v1/elections/{id}",
                              "/v1/elections/{id}/open",
                              "/v1/elections/{id}/close",
                              "/v1/elections/{id}/votes/{vote_id}",
                              "/v1/elections/{id}/challenge",
                              "/v1/elections/{id}/recount",
                              "/v1/elections/{id}/audit",
                              "/v1/elections/{id}/audit/report.html",
                              "/v1/elections/{id}/audit/ledger.csv",
                              "/v1/elections/{id}/results",
                              "/v1/elections/{id}/results/stream",
                              "/v1/elections/{id}/results/ws",
                              "/",
                              "/e/{id}",
                              "/admin",
                              "/static/{file}",
                              "/v1/info",
                              "/v1/demo/token",
                              "/healthz",
                              "/metrics"}) {
    router.Add("GET", pattern, route);
  }
  router.Add("POST", "/v1/elections/{id}/votes", route);
  for (auto _ : state) {
    urna::net::HttpRequest req;
    req.method = "POST";
    req.path = "/v1/elections/bench/votes";
    router.Handle(std::move(req), [](urna::net::HttpResponse) {});
  }
  if (hits != static_cast<int>(state.iterations())) state.SkipWithError("vote route not taken");
}
BENCHMARK(BM_RouteVote);

// The ingest's work per vote before the log's thread: catalog check, admission, vote_id,
// append call (into the in-memory log fake, which stores the vote: no encoding, no fsync).
void BM_CastVoteIngest(benchmark::State& state) {
  urna::memory::MemoryCatalog catalog;
  urna::Election e{"bench", "B", {{"a", "A"}, {"b", "B"}}, urna::ElectionStatus::kDraft, 0, 0, 0};
  (void)urna::OpenElection(e, 1);
  (void)catalog.Create(e);
  urna::memory::MemoryLog log(8);
  urna::SystemClock clock;
  urna::memory::MemoryAdmission admission;
  urna::IngestService ingest(catalog, log, clock, "node-1", admission);
  int64_t i = 0;
  for (auto _ : state) {
    ingest.CastVote("bench", "voter-" + std::to_string(++i), "a",
                    [](urna::Result<std::string> r) { benchmark::DoNotOptimize(r); });
  }
}
BENCHMARK(BM_CastVoteIngest)->Iterations(200000);

// The processor's decision per vote (dedupe against the voter index, count, commit, publish)
// over the in-memory state fake, in batches of 4,096 distinct voters.
void BM_ProcessorDecide(benchmark::State& state) {
  urna::memory::MemoryCatalog catalog;
  urna::Election e{"bench", "B", {{"a", "A"}, {"b", "B"}}, urna::ElectionStatus::kDraft, 0, 0, 0};
  (void)urna::OpenElection(e, 1);
  (void)catalog.Create(e);
  urna::memory::MemoryLog log(1);
  urna::memory::MemoryProcessorState pstate;
  urna::memory::MemoryReadModel rm;
  urna::PartitionProcessor p(0, log, pstate, catalog, rm);
  int64_t n = 0;
  for (auto _ : state) {
    state.PauseTiming();
    for (int i = 0; i < 4096; ++i, ++n) {
      log.Append({urna::NewUuid7(1'800'000'000'000 + n), "bench", "a", "voter-" + std::to_string(n),
                  10, "node-1"},
                 [](urna::Status) {});
    }
    state.ResumeTiming();
    benchmark::DoNotOptimize(p.Step(std::chrono::milliseconds(0)));
  }
  state.SetItemsProcessed(n);
}
BENCHMARK(BM_ProcessorDecide)->Iterations(50);

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
