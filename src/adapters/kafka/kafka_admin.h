// Topic administration for `urna init`: makes sure the vote log's topic exists, with a
// `min.insync.replicas` that makes an acknowledged vote (acks=all) live on more than one broker.
// Blocking (it waits for the cluster's answers, within a bound); call it from a command's main
// thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "adapters/kafka/kafka_config.h"
#include "core/status.h"

namespace urna::kafka {

struct TopicOptions {
  uint32_t partitions = 12;  // of a new topic
  uint32_t replication = 3;  // of a new topic
  // min.insync.replicas of a new topic; 0: 2 when replication >= 3, else replication - 1, at
  // least 1 (MinInsyncReplicasFor). An existing topic's is read and reported, never changed.
  uint32_t min_insync_replicas = 0;
  std::chrono::milliseconds timeout{30000};  // for each of the cluster's answers
};

struct TopicReport {
  std::string topic;
  uint32_t partitions = 0;   // the topic's partition count now
  uint32_t replication = 0;  // its replication factor (fewest replicas of a partition); 0: unknown
  // Its min.insync.replicas (the broker's default when the topic does not set it); -1: unknown
  // (the cluster did not answer DescribeConfigs: librdkafka's mock cluster has none).
  int min_insync_replicas = -1;
  bool created = false;  // this call created it
  std::string note;      // what happened, in a sentence for the operator (warning included)
  // Non-empty when min.insync.replicas is below 2: a vote answered 202 may then be on the
  // partition leader alone and lost with its disk. Also logged as a warning.
  std::string warning;
};

// The min.insync.replicas a new topic of `replication` replicas gets: `asked` when not 0
// (kInvalidArgument above `replication`: every acks=all write would then fail), else 2 when
// replication >= 3, else replication - 1, at least 1.
Result<uint32_t> MinInsyncReplicasFor(uint32_t replication, uint32_t asked);

// The warning for a topic whose min.insync.replicas is `min_insync` (-1: unknown): empty when it
// is 2 or more, or unknown.
std::string MinInsyncWarning(const std::string& topic, int min_insync);

// Finds `config.topic` already there (its partition count, replication factor and
// min.insync.replicas are reported, a different count than asked is said in the note, nothing is
// changed), or creates it (CreateTopics with the options' partitions, replication and
// min.insync.replicas). kUnavailable when it does not exist and cannot be created (a cluster
// without CreateTopics, such as librdkafka's mock, or no answer within the timeout).
Result<TopicReport> EnsureTopic(const KafkaConfig& config, const TopicOptions& options);

// The same with the default min.insync.replicas rule.
Result<TopicReport> EnsureTopic(const KafkaConfig& config, uint32_t partitions,
                                uint32_t replication,
                                std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace urna::kafka
