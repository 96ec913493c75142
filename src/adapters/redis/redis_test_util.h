// Helpers shared by the Redis tests: a fixed clock, updates, a fresh (uncached) read, and a
// bounded wait on a condition. Test-only.
#pragma once

#include <chrono>
#include <functional>
#include <thread>

#include "adapters/redis/redis_read_model.h"
#include "ports/clock.h"

namespace urna::redis::testing {

class ManualClock : public Clock {
 public:
  int64_t NowMs() const override { return now.load(); }
  std::atomic<int64_t> now{1'000'000};
};

inline PartitionTally Update(uint32_t partition, uint64_t next_offset, const char* election,
                             OptionCounts counts) {
  PartitionTally t;
  t.partition = partition;
  t.next_offset = next_offset;
  t.elections[election] = std::move(counts);
  return t;
}

// Polls `done` every 10 ms until it holds or `limit` passes; true if it held.
inline bool WaitUntil(const std::function<bool()>& done,
                      std::chrono::milliseconds limit = std::chrono::seconds(15)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

// Fast retries, so the outage tests recover in well under a second once Redis is back.
inline RedisReadModelOptions FastOptions() {
  RedisReadModelOptions o;
  o.publisher.backoff_min = std::chrono::milliseconds(10);
  o.publisher.backoff_max = std::chrono::milliseconds(200);
  o.publisher.marker_check = std::chrono::milliseconds(100);
  o.publisher.heartbeat_every = std::chrono::milliseconds(50);
  o.publisher.heartbeat_ttl = std::chrono::milliseconds(500);
  return o;
}

// A processor's lag source for `partitions` partitions, each at `lag_ms` (a write side that
// keeps up: 0).
inline std::function<WriteSideLag()> Keeping(uint32_t partitions, int64_t lag_ms = 0) {
  return [partitions, lag_ms] {
    WriteSideLag w;
    w.partitions = partitions;
    for (uint32_t p = 0; p < partitions; ++p) w.lag_ms[p] = lag_ms;
    return w;
  };
}

// What Redis holds now, read by a new model (no cache of earlier reads to fall back on).
inline Result<ElectionTally> FreshGet(const RedisUrl& url, std::string_view election) {
  ManualClock clock;
  RedisReadModel reader(url, clock, FastOptions());
  return reader.Get(election);
}

}  // namespace urna::redis::testing
