// KafkaMockProcess (tests only): runs tests/servers/kafka_mock, librdkafka's mock cluster, as a
// child process on free loopback ports and drives its control channel (stdin commands, one
// answer line each). The binary's path comes from the URNA_KAFKA_MOCK environment variable
// (set by ctest). Every wait is bounded. Owned by one test thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace urna::kafka::testing {

class KafkaMockProcess {
 public:
  // Starts the mock with `brokers` brokers and the given topics; null (and *error) on failure.
  static std::unique_ptr<KafkaMockProcess> Start(
      int brokers, const std::vector<std::pair<std::string, int>>& topics, std::string* error);
  ~KafkaMockProcess();  // quits (stdin EOF), then kills after a bound

  const std::string& bootstrap() const { return bootstrap_; }
  // Sends one command ("down 2", "up 2", "leader T P B", "topic NAME N"); true on "ok".
  bool Command(const std::string& line, std::string* answer = nullptr);

 private:
  KafkaMockProcess() = default;
  bool ReadLine(std::chrono::milliseconds timeout, std::string* line);

  pid_t pid_ = -1;
  int in_ = -1;   // the child's stdin
  int out_ = -1;  // the child's stdout
  std::string buf_;
  std::string bootstrap_;
};

}  // namespace urna::kafka::testing
