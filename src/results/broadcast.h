// Broadcast and BroadcastStats: the server's own figure of each broadcast of the results hub
// (docs/operations.md "What to watch", docs/performance.md "Reads and writes in one process").
// A broadcast is one tick's changed frame of one election handed to each of its viewers; it
// lasts from the tick's start until the last viewer's copy was handed whole to the kernel or
// skipped for a newer frame (latest wins), which is when the last stream lets go of its
// Broadcast. That time, and how many viewers were written or skipped, go to BroadcastStats
// (/metrics: urna_broadcast_duration_seconds and urna_broadcast_viewers_total). It measures the
// server alone: what a viewer's client then takes to read is not in it.
// BroadcastStats: owned by the hub (shared with the broadcasts still held by streams),
// lock-free (relaxed atomics), any thread. Broadcast: made by the hub's thread, reported to by
// the streams' threads (core/delivery_tracker.h).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

#include "core/delivery_tracker.h"

namespace urna::results {

class BroadcastStats {
 public:
  // Upper bounds of the duration buckets, in seconds (+Inf is the count).
  static constexpr std::array<double, 16> kBounds = {
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1, 2.5};
  struct View {
    uint64_t count = 0;  // broadcasts ended
    double sum_seconds = 0;
    std::array<uint64_t, kBounds.size()> cumulative{};  // broadcasts that took <= kBounds[i]
    uint64_t viewers = 0, written = 0, skipped = 0;     // summed over the broadcasts
  };

  void Record(std::chrono::nanoseconds took, uint64_t viewers, uint64_t written, uint64_t skipped);
  View view() const;

 private:
  std::atomic<uint64_t> count_{0}, sum_ns_{0}, viewers_{0}, written_{0}, skipped_{0};
  std::array<std::atomic<uint64_t>, kBounds.size()> buckets_{};  // not cumulative
};

class Broadcast final : public DeliveryTracker {
 public:
  Broadcast(std::shared_ptr<BroadcastStats> stats, std::chrono::steady_clock::time_point started,
            uint64_t viewers)
      : stats_(std::move(stats)), started_(started), viewers_(viewers) {}
  // The last holder let go: records the broadcast.
  ~Broadcast() override;

  void Written() override { written_.fetch_add(1, std::memory_order_relaxed); }
  void Skipped() override { skipped_.fetch_add(1, std::memory_order_relaxed); }

 private:
  std::shared_ptr<BroadcastStats> stats_;
  const std::chrono::steady_clock::time_point started_;
  const uint64_t viewers_;
  std::atomic<uint64_t> written_{0}, skipped_{0};
};

}  // namespace urna::results
