// KafkaConfig: where the vote log lives (bootstrap servers, topic) and the extra librdkafka
// properties an operator supplies in a properties file, in kcat's `-F` format: `key=value` lines,
// `#` comments and blank lines ignored (docs/operations.md). Every key is checked against
// librdkafka when the file is loaded, so a typo is a clear error at start-up, not a warning in a
// log. A few keys urna relies on for its guarantees (acks, idempotence, offset commits) cannot
// be overridden. A plain value; built once by the app, copied into each Kafka adapter.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace urna::kafka {

inline constexpr std::string_view kDefaultTopic = "urna.votes";

struct KafkaConfig {
  std::string brokers;  // bootstrap.servers, "host:port,host:port"
  std::string topic = std::string(kDefaultTopic);
  // Extra librdkafka properties, in file order (applied after urna's defaults).
  std::vector<std::pair<std::string, std::string>> properties;

  // Builds a config from the --kafka / --topic values and an optional properties file (empty
  // path: none). `brokers` may be empty when the file sets bootstrap.servers. Errors
  // (kInvalidArgument) name the file, the line and the key.
  static Result<KafkaConfig> Make(std::string brokers, std::string topic,
                                  const std::string& properties_file);
};

// Parses properties-file text (`source` names it in errors). Checks each key and value with
// librdkafka and refuses the keys urna sets itself for its guarantees.
Result<std::vector<std::pair<std::string, std::string>>> ParseKafkaProperties(
    std::string_view text, std::string_view source);

}  // namespace urna::kafka
