// Clock port: wall-clock time in Unix ms. SystemClock reads the system's clock, which can step
// backwards (NTP, an operator); MonotonicClock wraps a clock so that its readings never go
// backwards within a process. Tests inject others. Implementations are thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace urna {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowMs() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t NowMs() const override {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  }
};

// A wall clock that never goes backwards: each reading is max(source, the largest reading so
// far, the floor). After the source steps back it stands still until the source catches up, so
// every time stamped in one process (a vote's cast_at, an election's opened_at and closed_at)
// is ordered like the events themselves: a vote admitted before a close has cast_at <= closed_at.
// RaiseFloor carries this across restarts (the app raises it to the latest time on disk).
// Owned by whoever owns the source (which must outlive it); thread-safe, lock-free.
class MonotonicClock final : public Clock {
 public:
  explicit MonotonicClock(const Clock& source) : source_(source) {}

  int64_t NowMs() const override {
    int64_t now = source_.NowMs();
    int64_t last = last_.load(std::memory_order_relaxed);
    while (now > last) {
      if (last_.compare_exchange_weak(last, now, std::memory_order_relaxed)) return now;
    }
    return last;  // the source is behind (stepped back) or equal: stand still
  }

  // From now on NowMs never returns less than `floor_ms`.
  void RaiseFloor(int64_t floor_ms) {
    int64_t last = last_.load(std::memory_order_relaxed);
    while (floor_ms > last && !last_.compare_exchange_weak(last, floor_ms)) {
    }
  }

  // How far the source is behind this clock now (0 when it is not): the size of a backwards
  // step not yet caught up with.
  int64_t BehindMs() const {
    int64_t d = last_.load(std::memory_order_relaxed) - source_.NowMs();
    return d > 0 ? d : 0;
  }

 private:
  const Clock& source_;
  mutable std::atomic<int64_t> last_{0};
};

}  // namespace urna
