// RoundPacer: the pause a processor worker takes between two rounds over its partitions, shared
// by Processor and GroupProcessor. After a failed round, a backoff that doubles from 50 ms up to
// 1 s (the failed partitions reload their committed state on their next Step); else the idle
// poll when no partition had anything to read and the linger when one had less than a full
// batch. One per worker thread, used by that thread only.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <thread>

namespace urna {

class RoundPacer {
 public:
  RoundPacer(std::chrono::milliseconds idle_poll, std::chrono::milliseconds linger,
             size_t full_batch)
      : idle_poll_(idle_poll), linger_(linger), full_batch_(full_batch) {}

  // Sleeps after a round that `failed`, or whose fullest partition read `most` entries.
  void After(bool failed, size_t most) {
    if (failed) {
      std::this_thread::sleep_for(
          std::chrono::milliseconds(std::min(1000, 50 << std::min(failures_++, 4))));
      return;
    }
    failures_ = 0;
    if (most == 0) {
      std::this_thread::sleep_for(idle_poll_);
    } else if (most < full_batch_) {
      std::this_thread::sleep_for(linger_);
    }
  }

 private:
  const std::chrono::milliseconds idle_poll_, linger_;
  const size_t full_batch_;
  int failures_ = 0;  // failed rounds in a row
};

}  // namespace urna
