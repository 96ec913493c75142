#include "adapters/kafka/kafka_config.h"

#include <librdkafka/rdkafka.h>

#include <array>
#include <fstream>
#include <memory>
#include <sstream>

namespace urna::kafka {

namespace {

// Keys urna sets for its guarantees (docs/architecture.md §2: a vote is acknowledged only once
// every in-sync replica has it; the processor's position lives in its checkpoint, not in
// offsets the client commits on its own): a properties file may not change them.
constexpr std::array<std::pair<std::string_view, std::string_view>, 7> kReserved = {{
    {"acks", "a vote is acknowledged only once all in-sync replicas have it (acks=all)"},
    {"request.required.acks", "a vote is acknowledged only once all in-sync replicas have it"},
    {"enable.idempotence", "the producer must be idempotent (no duplicates on retry)"},
    {"enable.auto.commit", "the processor commits the group offset after each checkpoint"},
    {"enable.auto.offset.store", "the processor commits the group offset after each checkpoint"},
    {"message.timeout.ms", "the delivery bound is urna's delivery timeout option"},
    {"delivery.timeout.ms", "the delivery bound is urna's delivery timeout option"},
}};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

Status Invalid(std::string_view source, int line, const std::string& what) {
  return Status(Code::kInvalidArgument,
                std::string(source) + ":" + std::to_string(line) + ": " + what);
}

}  // namespace

Result<std::vector<std::pair<std::string, std::string>>> ParseKafkaProperties(
    std::string_view text, std::string_view source) {
  std::unique_ptr<rd_kafka_conf_t, decltype(&rd_kafka_conf_destroy)> probe(rd_kafka_conf_new(),
                                                                           rd_kafka_conf_destroy);
  std::vector<std::pair<std::string, std::string>> out;
  int line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = Trim(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    if (line.empty() || line.front() == '#') continue;
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      return Invalid(source, line_no, "expected key=value, got '" + std::string(line) + "'");
    }
    std::string key(Trim(line.substr(0, eq)));
    std::string value(Trim(line.substr(eq + 1)));
    if (key.empty()) return Invalid(source, line_no, "empty key");
    for (const auto& [reserved, why] : kReserved) {
      if (key == reserved) {
        return Invalid(
            source, line_no,
            "'" + key + "' is set by urna and cannot be overridden: " + std::string(why));
      }
    }
    char err[512] = "";
    switch (rd_kafka_conf_set(probe.get(), key.c_str(), value.c_str(), err, sizeof err)) {
      case RD_KAFKA_CONF_OK:
        break;
      case RD_KAFKA_CONF_UNKNOWN:
        return Invalid(source, line_no, "unknown librdkafka property '" + key + "'");
      default:
        return Invalid(source, line_no, "'" + key + "': " + err);
    }
    out.emplace_back(std::move(key), std::move(value));
  }
  return out;
}

Result<KafkaConfig> KafkaConfig::Make(std::string brokers, std::string topic,
                                      const std::string& properties_file) {
  KafkaConfig c;
  c.brokers = std::move(brokers);
  c.topic = std::move(topic);
  if (c.topic.empty()) return Status(Code::kInvalidArgument, "the Kafka topic name is empty");
  bool file_brokers = false;
  if (!properties_file.empty()) {
    std::ifstream in(properties_file);
    if (!in) {
      return Status(Code::kInvalidArgument,
                    "cannot read the Kafka properties file " + properties_file);
    }
    std::stringstream text;
    text << in.rdbuf();
    auto props = ParseKafkaProperties(text.str(), properties_file);
    if (!props.ok()) return props.status();
    c.properties = std::move(*props);
    for (const auto& [k, v] : c.properties) {
      file_brokers |= (k == "bootstrap.servers" || k == "metadata.broker.list") && !v.empty();
    }
  }
  if (c.brokers.empty() && !file_brokers) {
    return Status(Code::kInvalidArgument,
                  "no Kafka brokers: give --kafka HOST:PORT[,...] (URNA_KAFKA_BROKERS) or set "
                  "bootstrap.servers in the properties file");
  }
  return c;
}

}  // namespace urna::kafka
