// RequestLimits: the rate limits of `urna serve` and `urna ingest` (docs/operations.md "Rate
// limits"): per voter (vote requests), per client address (requests that reach the write side or
// storage), per admin token and per trusted gateway (votes of its batches), with their counters for
// /metrics. Owned by the app, shared by the network threads (thread-safe; each check is one hash,
// one lock of a shard, one probe).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "auth/client_address.h"
#include "auth/rate_limiter.h"

namespace urna {

struct RequestLimitOptions {
  bool enabled = true;  // --no-rate-limits turns every limit off
  // A voter may send 5 vote requests at once, then one per 10 s: enough to retry after a
  // network error or change a multi-vote, far too few to matter for a script.
  RateLimit voter{5, 10'000'000'000};
  // One address (a NAT of a stadium or a mobile carrier hides thousands of people behind it):
  // 1,000 at once, then 200/s (12,000 a minute).
  RateLimit address{1000, 5'000'000};
  // Per admin token: 100 at once, then 20/s.
  RateLimit admin{100, 50'000'000};
  // Per trusted gateway, in votes (each new vote of its batches): 20,000 at once, then
  // 100,000/s. Generous (an SMS aggregator or a broadcaster's edge), but a leaked or runaway
  // gateway cannot flood the log at the full batch rate.
  RateLimit gateway{20000, 10'000};
  size_t table_entries = size_t{1} << 20;    // slots of the voter and of the address table
  std::vector<std::string> trusted_proxies;  // CIDRs whose X-Forwarded-For is believed
};

class RequestLimits {
 public:
  enum Kind { kVoter, kAddress, kAdmin, kGateway, kKinds };

  // kInvalidArgument on a bad trusted proxy.
  static Result<std::unique_ptr<RequestLimits>> Create(RequestLimitOptions options);

  // Each returns 0 when the request may go on (and counts it), else the seconds to wait
  // (rounded up, at least 1) for the Retry-After header.
  int64_t Voter(std::string_view voter_id, int64_t now_ns);
  // `peer` is the connection's address; unknown addresses are not limited.
  int64_t Address(std::string_view peer, std::string_view x_forwarded_for, int64_t now_ns);
  int64_t Admin(std::string_view admin_token, int64_t now_ns);
  // Counts `votes` new votes of gateway `gateway_id`'s batch (RateLimiter::Acquire's cost).
  int64_t Gateway(std::string_view gateway_id, int64_t votes, int64_t now_ns);

  // Prometheus text: urna_rate_limited_total and urna_rate_limit_evictions_total by kind.
  std::string MetricsText() const;

 private:
  explicit RequestLimits(const RequestLimitOptions& o, TrustedProxies proxies);
  int64_t Check(Kind kind, uint64_t key, int64_t now_ns, int64_t cost = 1);

  TrustedProxies proxies_;
  std::array<std::unique_ptr<RateLimiter>, kKinds> limiters_;
  std::array<std::atomic<uint64_t>, kKinds> limited_{};
};

// Whether a request counts against its address's limit: everything that writes or reads
// storage (every method but GET, HEAD and OPTIONS, and receipt lookups). Pages, results and
// their streams are served from memory (and are what a CDN caches), OPTIONS (CORS preflights,
// Allow lists) touches nothing, /healthz and /metrics are for load balancers and monitors: none
// of those count.
bool CountsAgainstAddress(std::string_view method, std::string_view path);

}  // namespace urna
