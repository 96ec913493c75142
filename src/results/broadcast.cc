#include "results/broadcast.h"

#include <algorithm>

namespace urna::results {

void BroadcastStats::Atomics::Add(std::chrono::nanoseconds took) {
  const uint64_t ns = took.count() > 0 ? static_cast<uint64_t>(took.count()) : 0;
  const double s = static_cast<double>(ns) / 1e9;
  for (size_t b = 0; b < kBounds.size(); ++b) {
    if (s <= kBounds[b]) {
      buckets[b].fetch_add(1, std::memory_order_relaxed);
      break;
    }
  }
  sum_ns.fetch_add(ns, std::memory_order_relaxed);
  count.fetch_add(1, std::memory_order_release);
}

BroadcastStats::Histogram BroadcastStats::Atomics::Read() const {
  Histogram h;
  // The count first: the buckets may run ahead of it, never behind (le="+Inf" = count).
  h.count = count.load(std::memory_order_acquire);
  uint64_t cumulative = 0;
  for (size_t b = 0; b < kBounds.size(); ++b) {
    cumulative += buckets[b].load(std::memory_order_relaxed);
    h.cumulative[b] = std::min(cumulative, h.count);
  }
  h.sum_seconds = static_cast<double>(sum_ns.load(std::memory_order_relaxed)) / 1e9;
  return h;
}

void BroadcastStats::Record(std::chrono::nanoseconds took, uint64_t viewers, uint64_t written,
                            uint64_t skipped, bool reached95) {
  duration_.Add(took);
  if (!reached95) unreached95_.fetch_add(1, std::memory_order_relaxed);
  viewers_.fetch_add(viewers, std::memory_order_relaxed);
  written_.fetch_add(written, std::memory_order_relaxed);
  skipped_.fetch_add(skipped, std::memory_order_relaxed);
  // Its own counter, so that each outcome only grows (one computed at scrape from the others
  // would go down whenever a scrape fell between their updates).
  other_.fetch_add(viewers - std::min(viewers, written + skipped), std::memory_order_relaxed);
}

void BroadcastStats::RecordReach95(std::chrono::nanoseconds took) { reach95_.Add(took); }

BroadcastStats::View BroadcastStats::view() const {
  View v;
  v.duration = duration_.Read();
  v.reach95 = reach95_.Read();
  v.unreached95 = unreached95_.load(std::memory_order_relaxed);
  v.viewers = viewers_.load(std::memory_order_relaxed);
  v.written = written_.load(std::memory_order_relaxed);
  v.skipped = skipped_.load(std::memory_order_relaxed);
  v.other = other_.load(std::memory_order_relaxed);
  return v;
}

Broadcast::Broadcast(std::shared_ptr<BroadcastStats> stats,
                     std::chrono::steady_clock::time_point started, uint64_t viewers)
    : stats_(std::move(stats)),
      started_(started),
      viewers_(viewers),
      reach95_((viewers * 95 + 99) / 100) {}

void Broadcast::Written() {
  // Exactly one call sees the count reach the mark, whichever thread it runs on.
  if (written_.fetch_add(1, std::memory_order_relaxed) + 1 == reach95_) {
    stats_->RecordReach95(std::chrono::steady_clock::now() - started_);
  }
}

Broadcast::~Broadcast() {
  const uint64_t written = written_.load(std::memory_order_relaxed);
  stats_->Record(std::chrono::steady_clock::now() - started_, viewers_, written,
                 skipped_.load(std::memory_order_relaxed), written >= reach95_);
}

}  // namespace urna::results
