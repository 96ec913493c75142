// Backoff: exponential retry delays with jitter, for reconnecting to Redis. Each failure doubles
// the ceiling (from `min` up to `max`); the delay is drawn uniformly from [ceiling/2, ceiling],
// so processes that lost Redis together do not come back in lockstep. Owned by one thread.
#pragma once

#include <algorithm>
#include <chrono>
#include <random>

namespace urna::redis {

class Backoff {
 public:
  Backoff(std::chrono::milliseconds min, std::chrono::milliseconds max)
      : min_(std::max<std::chrono::milliseconds>(min, std::chrono::milliseconds(1))),
        max_(std::max(max, min_)),
        ceiling_(min_),
        rng_(std::random_device{}()) {}

  // The delay before the next attempt (and the ceiling grows).
  std::chrono::milliseconds Next() {
    std::uniform_int_distribution<long> pick(ceiling_.count() / 2, ceiling_.count());
    std::chrono::milliseconds d(pick(rng_));
    ceiling_ = std::min(max_, ceiling_ * 2);
    return d;
  }
  void Reset() { ceiling_ = min_; }

 private:
  const std::chrono::milliseconds min_, max_;
  std::chrono::milliseconds ceiling_;
  std::minstd_rand rng_;
};

}  // namespace urna::redis
