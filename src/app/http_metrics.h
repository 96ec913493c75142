// HttpMetrics: the server's RequestObserver (net/http_types.h) behind the urna_http_requests_*
// families of /metrics: answered requests by route PATTERN (never the path, so the label set is
// bounded by the routes), method and status, and a latency histogram per route and method (from
// the request read to its response head written). Built at start-up over the role's router;
// lock-free afterwards (relaxed atomics), so any network thread records and the /metrics thread
// reads.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "app/metrics_text.h"
#include "net/http_types.h"
#include "net/router.h"

namespace urna::app {

class HttpMetrics final : public net::RequestObserver {
 public:
  // `router` must outlive this; its routes are read once, here.
  explicit HttpMetrics(const net::Router& router);

  uint32_t Classify(std::string_view method, std::string_view path) override;
  void OnAnswered(uint32_t id, unsigned status, std::chrono::nanoseconds elapsed) override;

  // urna_http_requests_total{route,method,code} and
  // urna_http_request_duration_seconds{route,method} (histogram); series that saw no request
  // are left out.
  void Write(MetricsText& m) const;

 private:
  struct Histogram {
    std::atomic<uint64_t> count{0}, sum_ns{0};
    std::unique_ptr<std::atomic<uint64_t>[]> buckets;  // kBounds.size() slots, not cumulative
  };

  const net::Router& router_;
  std::vector<std::string> routes_;  // router patterns, then "unmatched"
  // [route][method][status slot] and [route][method]
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::vector<Histogram> latency_;
};

}  // namespace urna::app
