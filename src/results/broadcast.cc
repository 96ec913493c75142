#include "results/broadcast.h"

#include <algorithm>

namespace urna::results {

void BroadcastStats::Record(std::chrono::nanoseconds took, uint64_t viewers, uint64_t written,
                            uint64_t skipped) {
  const uint64_t ns = took.count() > 0 ? static_cast<uint64_t>(took.count()) : 0;
  const double s = static_cast<double>(ns) / 1e9;
  for (size_t b = 0; b < kBounds.size(); ++b) {
    if (s <= kBounds[b]) {
      buckets_[b].fetch_add(1, std::memory_order_relaxed);
      break;
    }
  }
  sum_ns_.fetch_add(ns, std::memory_order_relaxed);
  viewers_.fetch_add(viewers, std::memory_order_relaxed);
  written_.fetch_add(written, std::memory_order_relaxed);
  skipped_.fetch_add(skipped, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_release);
}

BroadcastStats::View BroadcastStats::view() const {
  View v;
  // The count first: the buckets may run ahead of it, never behind (le="+Inf" = count).
  v.count = count_.load(std::memory_order_acquire);
  uint64_t cumulative = 0;
  for (size_t b = 0; b < kBounds.size(); ++b) {
    cumulative += buckets_[b].load(std::memory_order_relaxed);
    v.cumulative[b] = std::min(cumulative, v.count);
  }
  v.sum_seconds = static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9;
  v.viewers = viewers_.load(std::memory_order_relaxed);
  v.written = written_.load(std::memory_order_relaxed);
  v.skipped = skipped_.load(std::memory_order_relaxed);
  return v;
}

Broadcast::~Broadcast() {
  stats_->Record(std::chrono::steady_clock::now() - started_, viewers_,
                 written_.load(std::memory_order_relaxed),
                 skipped_.load(std::memory_order_relaxed));
}

}  // namespace urna::results
