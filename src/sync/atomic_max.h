// RaiseTo: raises an atomic to `value` if it is below (a running maximum that several threads
// update without a lock: peaks, the newest of numbered events). Header only; any thread.
#pragma once

#include <atomic>

namespace urna {

template <typename T>
void RaiseTo(std::atomic<T>& a, T value, std::memory_order order = std::memory_order_seq_cst) {
  T seen = a.load(order == std::memory_order_relaxed ? order : std::memory_order_acquire);
  while (seen < value && !a.compare_exchange_weak(seen, value, order)) {
  }
}

}  // namespace urna
