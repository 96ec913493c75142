// ConnectionLimiter: counts the server's open client connections against a cap so sockets can
// never use the descriptors the database and the log need. A new connection takes a slot or is
// refused; a connection that becomes a push stream (SSE, WebSocket viewer) also takes a push
// slot, under a sub-cap of its own, so viewers can never hold every slot and lock voters out.
// Above `busy_fraction` of the cap the server is "busy": idle keep-alive connections get the
// short idle timeout. Owned by HttpServer; every method is thread-safe (atomics only).
// Knows nothing of sockets, so it is unit-tested on its own.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace urna::net {

struct ConnectionLimits {
  size_t max_connections = 1000;  // every client connection, push streams included
  size_t max_push_streams = 750;  // of which viewers (SSE + WebSocket) at most
  double busy_fraction = 0.8;     // above it, idle connections get busy_idle_timeout
  std::chrono::seconds idle_timeout{60};
  std::chrono::seconds busy_idle_timeout{5};
};

// The default cap: the process's descriptor limit (RLIMIT_NOFILE, soft) minus a reserve for
// RocksDB's files, the log and export spill files: a quarter of the limit, at least 256 and at
// most 4,096 descriptors; never below 1. 20,000 -> 15,904; 1,024 -> 768; 1,048,576 -> 1,044,480.
size_t DefaultMaxConnections(uint64_t fd_limit);
// The soft RLIMIT_NOFILE of this process.
uint64_t FdLimit();

class ConnectionLimiter {
 public:
  explicit ConnectionLimiter(ConnectionLimits limits) : limits_(limits) {}

  // A new connection: true and one slot taken, or false (over the cap) and counted as refused.
  bool TryAcquire();
  void Release();
  // A connection turning into a push stream (it keeps its connection slot): true and one push
  // slot taken, or false (over the viewers' sub-cap) and counted as refused.
  // `websocket`: the stream is a WebSocket (else SSE); counted apart for /metrics.
  bool TryAcquirePush(bool websocket = false);
  void ReleasePush(bool websocket = false);

  bool busy() const;
  // How long a connection may wait for its next request now: short when busy.
  std::chrono::seconds idle_timeout() const {
    return busy() ? limits_.busy_idle_timeout : limits_.idle_timeout;
  }
  const ConnectionLimits& limits() const { return limits_; }

  size_t open() const { return open_.load(std::memory_order_relaxed); }
  size_t push_open() const { return push_open_.load(std::memory_order_relaxed); }
  size_t push_open_websocket() const { return ws_open_.load(std::memory_order_relaxed); }
  size_t peak_open() const { return peak_.load(std::memory_order_relaxed); }
  uint64_t refused() const { return refused_.load(std::memory_order_relaxed); }
  uint64_t push_refused() const { return push_refused_.load(std::memory_order_relaxed); }
  void CountIdleClosed() { idle_closed_.fetch_add(1, std::memory_order_relaxed); }
  uint64_t idle_closed() const { return idle_closed_.load(std::memory_order_relaxed); }

 private:
  const ConnectionLimits limits_;
  std::atomic<size_t> open_{0}, push_open_{0}, ws_open_{0}, peak_{0};
  std::atomic<uint64_t> refused_{0}, push_refused_{0}, idle_closed_{0};
};

// One connection's claim on the limiter: released when destroyed (when the socket is gone).
// Moves from the HTTP session to the push stream that takes over the socket. Single-owner.
class ConnectionSlot {
 public:
  ConnectionSlot() = default;
  explicit ConnectionSlot(ConnectionLimiter* limiter) : limiter_(limiter) {}
  ConnectionSlot(ConnectionSlot&& o) noexcept
      : limiter_(o.limiter_), push_(o.push_), websocket_(o.websocket_) {
    o.limiter_ = nullptr;
    o.push_ = false;
  }
  ConnectionSlot& operator=(ConnectionSlot&& o) noexcept;
  ConnectionSlot(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(const ConnectionSlot&) = delete;
  ~ConnectionSlot() { Reset(); }

  // Takes a push slot as well; false when the viewers' sub-cap is reached.
  bool PromoteToPush(bool websocket = false);
  void Reset();

 private:
  ConnectionLimiter* limiter_ = nullptr;
  bool push_ = false;
  bool websocket_ = false;  // the push slot is a WebSocket's
};

}  // namespace urna::net
