#include "net/connection_limiter.h"

#include <sys/resource.h>

#include <algorithm>

#include "sync/atomic_max.h"

namespace urna::net {

size_t DefaultMaxConnections(uint64_t fd_limit) {
  uint64_t reserve = std::clamp<uint64_t>(fd_limit / 4, 256, 4096);
  return fd_limit > reserve ? static_cast<size_t>(fd_limit - reserve) : 1;
}

uint64_t FdLimit() {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) != 0 || r.rlim_cur == RLIM_INFINITY) return 1 << 20;
  return r.rlim_cur;
}

bool ConnectionLimiter::TryAcquire() {
  size_t n = open_.load(std::memory_order_relaxed);
  do {
    if (n >= limits_.max_connections) {
      refused_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
  } while (!open_.compare_exchange_weak(n, n + 1, std::memory_order_relaxed));
  RaiseTo(peak_, n + 1, std::memory_order_relaxed);
  return true;
}

void ConnectionLimiter::Release() { open_.fetch_sub(1, std::memory_order_relaxed); }

bool ConnectionLimiter::TryAcquirePush(bool websocket) {
  size_t n = push_open_.load(std::memory_order_relaxed);
  do {
    if (n >= limits_.max_push_streams) {
      push_refused_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
  } while (!push_open_.compare_exchange_weak(n, n + 1, std::memory_order_relaxed));
  if (websocket) ws_open_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void ConnectionLimiter::ReleasePush(bool websocket) {
  if (websocket) ws_open_.fetch_sub(1, std::memory_order_relaxed);
  push_open_.fetch_sub(1, std::memory_order_relaxed);
}

bool ConnectionLimiter::busy() const {
  return static_cast<double>(open()) > limits_.busy_fraction * limits_.max_connections;
}

ConnectionSlot& ConnectionSlot::operator=(ConnectionSlot&& o) noexcept {
  if (this != &o) {
    Reset();
    limiter_ = o.limiter_;
    push_ = o.push_;
    websocket_ = o.websocket_;
    o.limiter_ = nullptr;
    o.push_ = false;
  }
  return *this;
}

bool ConnectionSlot::PromoteToPush(bool websocket) {
  if (!limiter_ || push_) return push_;
  push_ = limiter_->TryAcquirePush(websocket);
  websocket_ = websocket;
  return push_;
}

void ConnectionSlot::Reset() {
  if (!limiter_) return;
  if (push_) limiter_->ReleasePush(websocket_);
  limiter_->Release();
  limiter_ = nullptr;
  push_ = false;
}

}  // namespace urna::net
