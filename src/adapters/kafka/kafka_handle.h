// Internal to adapters/kafka (never included by other modules: it pulls in rdkafka.h): builds
// librdkafka configurations and handles from a KafkaConfig, and reads a topic's partition count.
// Free functions; any thread.
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "adapters/kafka/kafka_config.h"
#include "core/status.h"

namespace urna::kafka {

struct HandleDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using Handle = std::unique_ptr<rd_kafka_t, HandleDeleter>;

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
};
using Conf = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;

using Properties = std::vector<std::pair<std::string, std::string>>;

// A configuration: bootstrap servers and log routing (to spdlog), then `defaults`, then the
// operator's properties (which may change a default), then `required` (urna's guarantees).
Result<Conf> NewConf(const KafkaConfig& config, const Properties& defaults,
                     const Properties& required);

// A client handle of `type` on `conf` (which it takes).
Result<Handle> NewHandle(rd_kafka_type_t type, Conf conf);

struct TopicShape {
  uint32_t partitions = 0;
  uint32_t replication = 0;  // the fewest replicas any partition has
};

// `topic` as the cluster's metadata describes it; kNotFound when the topic does not exist,
// kUnavailable when the cluster does not answer within `timeout`.
Result<TopicShape> DescribeTopic(rd_kafka_t* rk, const std::string& topic,
                                 std::chrono::milliseconds timeout);

// DescribeTopic's partition count.
Result<uint32_t> PartitionCount(rd_kafka_t* rk, const std::string& topic,
                                std::chrono::milliseconds timeout);

// kUnavailable with librdkafka's words for `err`, prefixed by `what`.
Status KafkaError(const std::string& what, rd_kafka_resp_err_t err);

}  // namespace urna::kafka
