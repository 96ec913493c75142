// Clock port: wall-clock time in Unix ms. SystemClock is the real one; tests inject others.
// Implementations are thread-safe.
#pragma once

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

}  // namespace urna
