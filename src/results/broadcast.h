// Broadcast and BroadcastStats: the server's own figure of each broadcast of the results hub
// (docs/operations.md "What to watch", docs/performance/mixed.md).
// A broadcast is one tick's changed frame of one election handed to each of its viewers. Two
// figures, both from the tick's start:
//   - reach95: when the copies handed whole to the kernel reach ceil(95%) of its viewers (the
//     figure issue 13's goal is about). A broadcast that never gets there (viewers skipped to a
//     newer frame, closed, or too slow) is counted as unreached when it ends.
//   - duration: until the last viewer's copy was handed to the kernel or skipped for a newer
//     frame (latest wins), which is when the last stream lets go of its Broadcast. Under steady
//     voting the next tick skips whoever is not yet written, so this one is short by
//     construction; one stalled viewer holds it up to the write timeout. Read it with reach95.
// How many viewers were written, skipped or neither go to BroadcastStats too. It measures the
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
  // Upper bounds of the histograms' buckets, in seconds (+Inf is the count).
  static constexpr std::array<double, 16> kBounds = {
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1, 2.5};
  struct Histogram {
    uint64_t count = 0;
    double sum_seconds = 0;
    std::array<uint64_t, kBounds.size()> cumulative{};  // observations <= kBounds[i]
  };
  struct View {
    Histogram duration;        // broadcasts ended: until the last viewer was written or skipped
    Histogram reach95;         // broadcasts whose written viewers reached ceil(95%)
    uint64_t unreached95 = 0;  // broadcasts ended without reaching it
    // Viewers summed over the broadcasts ended, by outcome (other: closed first, or a
    // subscriber that reports nothing). Each only grows.
    uint64_t viewers = 0, written = 0, skipped = 0, other = 0;
  };

  // A broadcast ended (its last holder let go).
  void Record(std::chrono::nanoseconds took, uint64_t viewers, uint64_t written, uint64_t skipped,
              bool reached95);
  // A broadcast's written viewers reached ceil(95%) `took` after its tick's start.
  void RecordReach95(std::chrono::nanoseconds took);
  View view() const;

 private:
  struct Atomics {
    std::atomic<uint64_t> count{0}, sum_ns{0};
    std::array<std::atomic<uint64_t>, kBounds.size()> buckets{};  // not cumulative
    void Add(std::chrono::nanoseconds took);
    Histogram Read() const;
  };
  Atomics duration_, reach95_;
  std::atomic<uint64_t> unreached95_{0}, viewers_{0}, written_{0}, skipped_{0}, other_{0};
};

class Broadcast final : public DeliveryTracker {
 public:
  Broadcast(std::shared_ptr<BroadcastStats> stats, std::chrono::steady_clock::time_point started,
            uint64_t viewers);
  // The last holder let go: records the broadcast.
  ~Broadcast() override;

  void Written() override;
  void Skipped() override { skipped_.fetch_add(1, std::memory_order_relaxed); }

 private:
  std::shared_ptr<BroadcastStats> stats_;
  const std::chrono::steady_clock::time_point started_;
  const uint64_t viewers_;
  const uint64_t reach95_;  // ceil(0.95 x viewers_): written copies that make the 95%
  std::atomic<uint64_t> written_{0}, skipped_{0};
};

}  // namespace urna::results
