// RateLimiter: per-key rate limits by GCRA (the generic cell rate algorithm: a token bucket
// kept as one timestamp per key), in a fixed-size table so memory is bounded whatever the
// number of keys. Thread-safe: the table is split into shards, each behind its own mutex, and
// a request touches one shard. Owned by RequestLimits; called from the network threads.
//
// Bound: `capacity` slots of 16 bytes, mapped once (the kernel backs a page when it is first
// used, so an idle table costs nothing). A key whose budget is full again (its
// theoretical arrival time has passed) needs no slot, so its slot is free for reuse. When every
// slot of a key's probe window still holds a live entry, the entry nearest to a full budget is
// evicted (counted in evictions()): that key gets a fresh burst early, the least harmful way
// to forget, and a heavy user (far in debt) is the last to be forgotten.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"
#include "sync/mutex.h"

namespace urna {

// At most `burst` requests at once, then one per `interval_ns`.
struct RateLimit {
  int64_t burst = 1;
  int64_t interval_ns = 1'000'000'000;
};

// "RATE" as "N/PERIOD" (PERIOD = [COUNT]UNIT, UNIT one of ms s m h): "1/10s" is one request per
// 10 s, "200/s" 200 per second. With a burst >= 1. kInvalidArgument otherwise.
Result<RateLimit> ParseRateLimit(std::string_view rate, int64_t burst);

// `limit`'s rate as ParseRateLimit reads it back: "200/s" below a second, "1/10s" (the largest
// unit that divides the interval), else "7/m"; an interval no rate makes, to the millisecond.
std::string FormatRateLimit(const RateLimit& limit);

// "burst 5, then 1/10s"-style text for logs and errors.
std::string DescribeRateLimit(const RateLimit& limit);

class RateLimiter {
 public:
  // `capacity` is rounded up to a power of two (at least 16).
  RateLimiter(RateLimit limit, size_t capacity);
  ~RateLimiter();
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Counts one request of `key` at `now_ns` (a monotonic clock). Returns 0 if it is allowed,
  // otherwise how many ns until one would be (the request is then not counted). `cost` > 1
  // counts it as that many (a gateway's batch: its votes): it is allowed whenever one would be,
  // and the key then owes the rest (its next request waits until the debt is paid), so the
  // sustained rate holds and the burst is exceeded by at most one request's cost.
  int64_t Acquire(uint64_t key, int64_t now_ns, int64_t cost = 1);

  size_t capacity() const { return shards_ * per_shard_; }
  uint64_t evictions() const { return evictions_.load(std::memory_order_relaxed); }
  const RateLimit& limit() const { return limit_; }

 private:
  struct Slot {
    uint64_t key;  // 0 = empty
    int64_t tat;   // theoretical arrival time: the budget is full again at this time
  };
  // The slots of shard i are guarded by locks_[i].mu (an index the analysis cannot follow).
  struct alignas(64) Shard {
    Mutex mu;
  };
  static constexpr size_t kWindow = 8;  // slots probed per key

  RateLimit limit_;
  size_t shards_ = 1;
  size_t per_shard_ = 16;
  uint64_t seed_;
  std::unique_ptr<Shard[]> locks_;
  Slot* slots_ = nullptr;  // shards_ * per_shard_ slots, mmap'd: pages zero until first used
  std::atomic<uint64_t> evictions_{0};
};

}  // namespace urna
