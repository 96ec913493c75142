// Topic administration for `urna init`: makes sure the vote log's topic exists. Blocking (it
// waits for the cluster's answers, within a bound); call it from a command's main thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "adapters/kafka/kafka_config.h"
#include "core/status.h"

namespace urna::kafka {

struct TopicReport {
  std::string topic;
  uint32_t partitions = 0;  // the topic's partition count now
  bool created = false;     // this call created it
  std::string note;         // what happened, in a sentence for the operator
};

// Finds `config.topic` already there (its existing partition count is reported; a different
// count than asked is said in the note, never changed), or creates it with `partitions`
// partitions and replication factor `replication` (CreateTopics). kUnavailable when it does
// not exist and cannot be created (a cluster without CreateTopics, such as librdkafka's mock,
// or no answer within `timeout`).
Result<TopicReport> EnsureTopic(const KafkaConfig& config, uint32_t partitions,
                                uint32_t replication,
                                std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace urna::kafka
