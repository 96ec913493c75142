// ProcessHttp: the HTTP server of `urna process` (--metrics-listen), for monitoring only:
// GET /metrics (Prometheus text, `promtool check metrics` clean: the processor's counts, the
// partitions it owns and their lag in log entries and seconds, the Redis publisher's state, the
// requests by route) and GET /healthz (200; "degraded" while the Redis publisher is
// disconnected, a partition's last processing step failed, or counting lags over a bound). It takes
// no votes and serves no results. Owned by the process role; one network thread of its own; every
// answer is read from memory (counters, Kafka's cached high watermarks), never from a store.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "core/status.h"

namespace urna {
class GroupProcessor;
class LogReader;
namespace redis {
class RedisReadModel;
}
}  // namespace urna

namespace urna::app {

class ProcessHttp {
 public:
  // Limits of this server (docs/operations.md): connections at once (more are refused), and
  // request bodies (a GET has none; larger get 413).
  static constexpr size_t kMaxConnections = 32;
  static constexpr size_t kMaxBodyBytes = 1024;
  // /healthz says "degraded" when the oldest uncounted entry of an owned partition has waited
  // longer than this.
  static constexpr std::chrono::milliseconds kMaxHealthyLag{60'000};

  // `listen` is HOST:PORT (port 0 = any); `redis` is null without --redis. Everything passed
  // must outlive this.
  ProcessHttp(std::string listen, std::string node_id, const GroupProcessor& processor,
              LogReader& log, const redis::RedisReadModel* redis);
  ~ProcessHttp();  // Stop()

  // Binds and starts serving; kInvalidArgument for a bad HOST:PORT, kUnavailable when the port
  // cannot be bound.
  Status Start();
  // "http://HOST:PORT" once started.
  std::string url() const;
  // Closes the listener and the connections. Idempotent.
  void Stop();

  // The /metrics page (tests).
  std::string Metrics() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace urna::app
