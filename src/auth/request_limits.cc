#include "auth/request_limits.h"

#include <functional>

namespace urna {
namespace {

constexpr const char* kKindNames[] = {"voter", "address", "admin", "gateway"};
constexpr size_t kAdminEntries = 1024;

}  // namespace

Result<std::unique_ptr<RequestLimits>> RequestLimits::Create(RequestLimitOptions options) {
  auto proxies = TrustedProxies::Parse(options.trusted_proxies);
  if (!proxies.ok()) return proxies.status();
  return std::unique_ptr<RequestLimits>(new RequestLimits(options, std::move(*proxies)));
}

RequestLimits::RequestLimits(const RequestLimitOptions& o, TrustedProxies proxies)
    : proxies_(std::move(proxies)) {
  limiters_[kVoter] = std::make_unique<RateLimiter>(o.voter, o.table_entries);
  limiters_[kAddress] = std::make_unique<RateLimiter>(o.address, o.table_entries);
  limiters_[kAdmin] = std::make_unique<RateLimiter>(o.admin, kAdminEntries);
  limiters_[kGateway] = std::make_unique<RateLimiter>(o.gateway, kAdminEntries);
}

int64_t RequestLimits::Check(Kind kind, uint64_t key, int64_t now_ns, int64_t cost) {
  int64_t wait_ns = limiters_[kind]->Acquire(key, now_ns, cost);
  if (wait_ns == 0) return 0;
  limited_[kind].fetch_add(1, std::memory_order_relaxed);
  return (wait_ns + 999'999'999) / 1'000'000'000;
}

int64_t RequestLimits::Voter(std::string_view voter_id, int64_t now_ns) {
  return Check(kVoter, std::hash<std::string_view>{}(voter_id), now_ns);
}

int64_t RequestLimits::Address(std::string_view peer, std::string_view xff, int64_t now_ns) {
  auto client = proxies_.Client(peer, xff);
  if (!client) return 0;
  return Check(kAddress, AddressKey(*client), now_ns);
}

int64_t RequestLimits::Admin(std::string_view token, int64_t now_ns) {
  return Check(kAdmin, std::hash<std::string_view>{}(token), now_ns);
}

int64_t RequestLimits::Gateway(std::string_view gateway_id, int64_t votes, int64_t now_ns) {
  return Check(kGateway, std::hash<std::string_view>{}(gateway_id), now_ns, votes);
}

std::string RequestLimits::MetricsText() const {
  std::string m =
      "# HELP urna_rate_limited_total Requests answered 429 by a rate limit, by limit\n"
      "# TYPE urna_rate_limited_total counter\n";
  for (int k = 0; k < kKinds; ++k) {
    m += std::string("urna_rate_limited_total{kind=\"") + kKindNames[k] + "\"} " +
         std::to_string(limited_[k].load(std::memory_order_relaxed)) + "\n";
  }
  m += "# HELP urna_rate_limit_evictions_total Live entries forgotten because a rate-limit table "
       "was full, by limit\n"
       "# TYPE urna_rate_limit_evictions_total counter\n";
  for (int k = 0; k < kKinds; ++k) {
    m += std::string("urna_rate_limit_evictions_total{kind=\"") + kKindNames[k] + "\"} " +
         std::to_string(limiters_[k]->evictions()) + "\n";
  }
  return m;
}

bool CountsAgainstAddress(std::string_view method, std::string_view path) {
  // OPTIONS (a CORS preflight or the Allow list) is answered from memory by the router.
  if (method == "OPTIONS") return false;
  if (method != "GET" && method != "HEAD") return true;
  constexpr std::string_view kElections = "/v1/elections/";
  return path.substr(0, kElections.size()) == kElections &&
         path.find("/votes/") != std::string_view::npos;
}

}  // namespace urna
