#include "adapters/kafka/kafka_handle.h"

#include <spdlog/spdlog.h>

namespace urna::kafka {

namespace {

// librdkafka's log lines, through spdlog (which is thread-safe: librdkafka logs from its own
// threads). Its syslog levels map onto spdlog's.
void LogToSpdlog(const rd_kafka_t* rk, int level, const char* fac, const char* buf) {
  auto lvl = level <= 3   ? spdlog::level::err
             : level == 4 ? spdlog::level::warn
             : level <= 6 ? spdlog::level::info
                          : spdlog::level::debug;
  spdlog::log(lvl, "kafka {} {}: {}", rd_kafka_name(rk), fac, buf);
}

Status Set(rd_kafka_conf_t* conf, const std::string& key, const std::string& value) {
  char err[512] = "";
  if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
    return Status(Code::kInvalidArgument, "Kafka property '" + key + "': " + err);
  }
  return Status::Ok();
}

}  // namespace

Result<Conf> NewConf(const KafkaConfig& config, const Properties& defaults,
                     const Properties& required) {
  Conf conf(rd_kafka_conf_new());
  rd_kafka_conf_set_log_cb(conf.get(), LogToSpdlog);
  // Reconnect to a broker that came back within a second (librdkafka backs off up to 10 s):
  // faults recover by themselves soon after their cause is gone.
  if (auto s = Set(conf.get(), "reconnect.backoff.max.ms", "1000"); !s.ok()) return s;
  for (const auto* list : {&defaults, &config.properties, &required}) {
    for (const auto& [k, v] : *list) {
      if (auto s = Set(conf.get(), k, v); !s.ok()) return s;
    }
  }
  // The --kafka value wins over a bootstrap.servers line of the file.
  if (!config.brokers.empty()) {
    if (auto s = Set(conf.get(), "bootstrap.servers", config.brokers); !s.ok()) return s;
  }
  return conf;
}

Result<Handle> NewHandle(rd_kafka_type_t type, Conf conf) {
  char err[512] = "";
  rd_kafka_t* rk = rd_kafka_new(type, conf.get(), err, sizeof err);
  if (!rk)
    return Status(Code::kInvalidArgument, std::string("cannot create a Kafka client: ") + err);
  conf.release();  // rd_kafka_new owns it now
  return Handle(rk);
}

Result<TopicShape> DescribeTopic(rd_kafka_t* rk, const std::string& topic,
                                 std::chrono::milliseconds timeout) {
  // All topics: a request naming the topic could have the cluster create it (auto-create).
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err =
      rd_kafka_metadata(rk, 1, nullptr, &md, static_cast<int>(timeout.count()));
  if (err) return KafkaError("Kafka metadata for topic " + topic, err);
  Result<TopicShape> out = Status(Code::kNotFound, "Kafka topic " + topic + " does not exist");
  for (int i = 0; i < md->topic_cnt; ++i) {
    const auto& t = md->topics[i];
    if (topic != t.topic) continue;
    if (t.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || t.partition_cnt == 0) break;
    if (t.err) {
      out = KafkaError("Kafka topic " + topic, t.err);
    } else {
      TopicShape shape{static_cast<uint32_t>(t.partition_cnt), 0};
      for (int p = 0; p < t.partition_cnt; ++p) {
        auto replicas = static_cast<uint32_t>(t.partitions[p].replica_cnt);
        if (p == 0 || replicas < shape.replication) shape.replication = replicas;
      }
      out = shape;
    }
  }
  rd_kafka_metadata_destroy(md);
  return out;
}

Result<uint32_t> PartitionCount(rd_kafka_t* rk, const std::string& topic,
                                std::chrono::milliseconds timeout) {
  auto shape = DescribeTopic(rk, topic, timeout);
  if (!shape.ok()) return shape.status();
  return shape->partitions;
}

Status KafkaError(const std::string& what, rd_kafka_resp_err_t err) {
  return Status(Code::kUnavailable, what + ": " + rd_kafka_err2str(err));
}

}  // namespace urna::kafka
