// StandInBroker (tests only): one Kafka broker that speaks just enough of the protocol for
// EnsureTopic's admin requests, which librdkafka's mock cluster lacks (CreateTopics,
// DescribeConfigs) and a real broker is not available to unit tests for. Node 1, the
// controller, on 127.0.0.1:0, answering ApiVersions (v3), Metadata (v1: no topics, or
// `existing` with 3 partitions of 3 replicas), DescribeConfigs (v0: `existing`'s
// min.insync.replicas is `min_insync`, when given) and CreateTopics (v2: every topic created,
// its configs recorded); any other request closes the connection. A thread per connection, all
// stopped and joined by the destructor; owned by one test.
#pragma once

#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "sync/mutex.h"

namespace urna::kafka::testing {

class StandInBroker {
 public:
  explicit StandInBroker(std::string existing = "", std::string min_insync = "");
  ~StandInBroker();

  // "127.0.0.1:PORT"; the port is 0 when the socket could not be set up.
  std::string bootstrap() const { return "127.0.0.1:" + std::to_string(port_); }
  // topic -> its configs, as CreateTopics asked.
  std::map<std::string, std::map<std::string, std::string>> created();

 private:
  void Accept();
  void Serve(int fd);

  const std::string existing_, min_insync_;
  int listen_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  std::vector<std::thread> connections_;  // the acceptor's own
  Mutex mu_;
  std::map<std::string, std::map<std::string, std::string>> created_ GUARDED_BY(mu_);
};

}  // namespace urna::kafka::testing
