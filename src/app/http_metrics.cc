#include "app/http_metrics.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <string_view>

namespace urna::app {
namespace {

// Methods get their own label value; any other is "other".
constexpr std::array<std::string_view, 7> kMethods = {"GET",    "HEAD",  "POST",   "PUT",
                                                      "DELETE", "PATCH", "OPTIONS"};
constexpr size_t kMethodSlots = kMethods.size() + 1;

// The statuses urna answers get their own label value; any other is counted as "other".
constexpr std::array<unsigned, 30> kStatuses = {101, 200, 201, 202, 204, 206, 301, 302, 304, 400,
                                                401, 403, 404, 405, 406, 409, 410, 411, 412, 413,
                                                414, 415, 416, 422, 426, 429, 431, 500, 501, 503};
constexpr size_t kStatusSlots = kStatuses.size() + 1;

// Upper bounds of the latency buckets, in seconds (+Inf is the count).
constexpr std::array<double, 14> kBounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                            0.1,    0.25,  0.5,    1,     2.5,  5,     10};

size_t MethodSlot(std::string_view method) {
  for (size_t i = 0; i < kMethods.size(); ++i) {
    if (kMethods[i] == method) return i;
  }
  return kMethods.size();
}

size_t StatusSlot(unsigned status) {
  for (size_t i = 0; i < kStatuses.size(); ++i) {
    if (kStatuses[i] == status) return i;
  }
  return kStatuses.size();
}

std::string_view MethodName(size_t slot) {
  return slot < kMethods.size() ? kMethods[slot] : "other";
}

}  // namespace

HttpMetrics::HttpMetrics(const net::Router& router) : router_(router) {
  for (size_t i = 0; i < router.pattern_count(); ++i) routes_.push_back(router.pattern(i));
  routes_.push_back("unmatched");
  counts_ = std::make_unique<std::atomic<uint64_t>[]>(routes_.size() * kMethodSlots * kStatusSlots);
  latency_ = std::vector<Histogram>(routes_.size() * kMethodSlots);
  for (auto& h : latency_) h.buckets = std::make_unique<std::atomic<uint64_t>[]>(kBounds.size());
}

uint32_t HttpMetrics::Classify(std::string_view method, std::string_view path) {
  int route = path.empty() ? -1 : router_.Match(path);
  size_t r = route < 0 ? routes_.size() - 1 : static_cast<size_t>(route);
  return static_cast<uint32_t>(r * kMethodSlots + MethodSlot(method));
}

void HttpMetrics::OnAnswered(uint32_t id, unsigned status, std::chrono::nanoseconds elapsed) {
  if (id >= latency_.size()) return;
  counts_[id * kStatusSlots + StatusSlot(status)].fetch_add(1, std::memory_order_relaxed);
  auto& h = latency_[id];
  h.count.fetch_add(1, std::memory_order_relaxed);
  uint64_t ns = elapsed.count() > 0 ? static_cast<uint64_t>(elapsed.count()) : 0;
  h.sum_ns.fetch_add(ns, std::memory_order_relaxed);
  double s = static_cast<double>(ns) / 1e9;
  for (size_t b = 0; b < kBounds.size(); ++b) {
    if (s <= kBounds[b]) {
      h.buckets[b].fetch_add(1, std::memory_order_relaxed);
      break;
    }
  }
}

void HttpMetrics::Write(MetricsText& m) const {
  m.Family("urna_http_requests_total", "counter",
           "HTTP requests answered, by route pattern, method and status code (code \"other\": "
           "a status not listed)");
  for (size_t id = 0; id < latency_.size(); ++id) {
    const std::string& route = routes_[id / kMethodSlots];
    std::string_view method = MethodName(id % kMethodSlots);
    for (size_t s = 0; s < kStatusSlots; ++s) {
      uint64_t n = counts_[id * kStatusSlots + s].load(std::memory_order_relaxed);
      if (n == 0) continue;
      std::string code = s < kStatuses.size() ? std::to_string(kStatuses[s]) : "other";
      m.Sample("urna_http_requests_total", {{"route", route}, {"method", method}, {"code", code}},
               static_cast<double>(n));
    }
  }
  m.Family("urna_http_request_duration_seconds", "histogram",
           "Time from a request read to its response head written (a push stream: until it "
           "starts), by route pattern and method");
  for (size_t id = 0; id < latency_.size(); ++id) {
    const auto& h = latency_[id];
    // Read the count first: the buckets may run ahead of it, never behind (le="+Inf" = count).
    uint64_t count = h.count.load(std::memory_order_relaxed);
    if (count == 0) continue;
    const std::string& route = routes_[id / kMethodSlots];
    std::string_view method = MethodName(id % kMethodSlots);
    uint64_t cumulative = 0;
    for (size_t b = 0; b < kBounds.size(); ++b) {
      cumulative += h.buckets[b].load(std::memory_order_relaxed);
      char le[16];
      std::snprintf(le, sizeof le, "%g", kBounds[b]);
      m.Sample("urna_http_request_duration_seconds_bucket",
               {{"route", route}, {"method", method}, {"le", le}},
               static_cast<double>(std::min(cumulative, count)));
    }
    m.Sample("urna_http_request_duration_seconds_bucket",
             {{"route", route}, {"method", method}, {"le", "+Inf"}}, static_cast<double>(count));
    m.Sample("urna_http_request_duration_seconds_sum", {{"route", route}, {"method", method}},
             static_cast<double>(h.sum_ns.load(std::memory_order_relaxed)) / 1e9);
    m.Sample("urna_http_request_duration_seconds_count", {{"route", route}, {"method", method}},
             static_cast<double>(count));
  }
}

}  // namespace urna::app
