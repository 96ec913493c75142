#include "adapters/kafka/kafka_admin.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "adapters/kafka/kafka_handle.h"

namespace urna::kafka {

namespace {

constexpr char kMinInsync[] = "min.insync.replicas";

struct QueueDeleter {
  void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
};
struct OptionsDeleter {
  void operator()(rd_kafka_AdminOptions_t* o) const { rd_kafka_AdminOptions_destroy(o); }
};
struct EventDeleter {
  void operator()(rd_kafka_event_t* e) const { rd_kafka_event_destroy(e); }
};
using Event = std::unique_ptr<rd_kafka_event_t, EventDeleter>;

std::unique_ptr<rd_kafka_AdminOptions_t, OptionsDeleter> AdminOptions(
    rd_kafka_t* rk, rd_kafka_admin_op_t op, std::chrono::milliseconds timeout) {
  std::unique_ptr<rd_kafka_AdminOptions_t, OptionsDeleter> options(
      rd_kafka_AdminOptions_new(rk, op));
  char err[512] = "";
  rd_kafka_AdminOptions_set_request_timeout(options.get(), static_cast<int>(timeout.count()), err,
                                            sizeof err);
  return options;
}

// Whether the cluster's controller is one of its brokers.
bool HasController(rd_kafka_t* rk, std::chrono::milliseconds timeout) {
  const int32_t controller = rd_kafka_controllerid(rk, static_cast<int>(timeout.count()));
  if (controller < 0) return false;
  const rd_kafka_metadata_t* md = nullptr;
  if (rd_kafka_metadata(rk, 0, nullptr, &md, static_cast<int>(timeout.count()))) return false;
  bool found = false;
  for (int i = 0; i < md->broker_cnt; ++i) found = found || md->brokers[i].id == controller;
  rd_kafka_metadata_destroy(md);
  return found;
}

// The topic's min.insync.replicas as the cluster applies it (the broker's default when the topic
// does not set it), from DescribeConfigs; -1 and *why when the cluster does not say.
int ReadMinInsync(rd_kafka_t* rk, const std::string& topic, std::chrono::milliseconds timeout,
                  std::string* why) {
  // DescribeConfigs waits for the controller; librdkafka's mock cluster has none (it names
  // broker 0, which is not one of its brokers) nor DescribeConfigs: do not wait for it.
  if (!HasController(rk, timeout)) {
    *why = "the cluster names no controller among its brokers, as librdkafka's mock does";
    return -1;
  }
  rd_kafka_ConfigResource_t* resource =
      rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str());
  auto options = AdminOptions(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, timeout);
  std::unique_ptr<rd_kafka_queue_t, QueueDeleter> queue(rd_kafka_queue_new(rk));
  rd_kafka_DescribeConfigs(rk, &resource, 1, options.get(), queue.get());
  rd_kafka_ConfigResource_destroy(resource);
  Event ev(rd_kafka_queue_poll(queue.get(), static_cast<int>(timeout.count()) + 5000));
  if (!ev) {
    *why = "no answer to DescribeConfigs";
    return -1;
  }
  if (rd_kafka_event_error(ev.get())) {
    *why = std::string("DescribeConfigs: ") + rd_kafka_event_error_string(ev.get());
    return -1;
  }
  size_t n = 0;
  const rd_kafka_DescribeConfigs_result_t* res = rd_kafka_event_DescribeConfigs_result(ev.get());
  const rd_kafka_ConfigResource_t** resources =
      res ? rd_kafka_DescribeConfigs_result_resources(res, &n) : nullptr;
  if (n != 1) {
    *why = "DescribeConfigs answered no topic";
    return -1;
  }
  if (rd_kafka_resp_err_t err = rd_kafka_ConfigResource_error(resources[0])) {
    const char* msg = rd_kafka_ConfigResource_error_string(resources[0]);
    *why = std::string("DescribeConfigs: ") + (msg ? msg : rd_kafka_err2str(err));
    return -1;
  }
  size_t count = 0;
  const rd_kafka_ConfigEntry_t** entries = rd_kafka_ConfigResource_configs(resources[0], &count);
  for (size_t k = 0; k < count; ++k) {
    const char* value = rd_kafka_ConfigEntry_value(entries[k]);
    if (std::string_view(rd_kafka_ConfigEntry_name(entries[k])) == kMinInsync && value) {
      char* end = nullptr;
      long v = std::strtol(value, &end, 10);
      if (*value && *end == '\0' && v >= 0 && v < 1000) return static_cast<int>(v);
      *why = std::string("DescribeConfigs: min.insync.replicas '") + value + "'";
      return -1;
    }
  }
  *why = "DescribeConfigs did not list min.insync.replicas";
  return -1;
}

// Adds replication and min.insync.replicas (and the warning, if any) to the report's note.
void Describe(TopicReport& r, const std::string& unknown_why, uint32_t asked_min_insync) {
  r.note += "; replication " + (r.replication ? std::to_string(r.replication) : "unknown") +
            ", min.insync.replicas ";
  if (r.min_insync_replicas < 0) {
    r.note += "unknown (" + unknown_why + "; check it with kafka-configs --describe)";
  } else {
    r.note += std::to_string(r.min_insync_replicas);
    if (!r.created && asked_min_insync != 0 &&
        static_cast<uint32_t>(r.min_insync_replicas) != asked_min_insync) {
      r.note += " (not the " + std::to_string(asked_min_insync) + " asked for: left unchanged)";
    }
  }
  r.warning = MinInsyncWarning(r.topic, r.min_insync_replicas);
  if (!r.warning.empty()) {
    r.note += "; WARNING: " + r.warning;
    spdlog::warn("kafka: {}", r.warning);
  }
}

// The topic as it exists, for a report.
Result<TopicReport> Existing(rd_kafka_t* rk, const KafkaConfig& config, const TopicOptions& o,
                             std::string why) {
  auto shape = DescribeTopic(rk, config.topic, o.timeout);
  if (!shape.ok()) return shape.status();
  TopicReport r{config.topic, shape->partitions, shape->replication, -1, false, std::move(why), ""};
  if (shape->partitions != o.partitions) {
    r.note += "; it has " + std::to_string(shape->partitions) + " partitions, not the " +
              std::to_string(o.partitions) + " asked for (left unchanged)";
  }
  std::string unknown_why;
  r.min_insync_replicas = ReadMinInsync(rk, config.topic, o.timeout, &unknown_why);
  Describe(r, unknown_why, o.min_insync_replicas);
  return r;
}

}  // namespace

Result<uint32_t> MinInsyncReplicasFor(uint32_t replication, uint32_t asked) {
  if (asked > replication) {
    return Status(Code::kInvalidArgument, "min.insync.replicas " + std::to_string(asked) +
                                              " is above the replication factor " +
                                              std::to_string(replication) +
                                              ": every acknowledged (acks=all) write would fail");
  }
  if (asked != 0) return asked;
  return replication >= 3 ? 2u : std::max(1u, replication - 1);
}

std::string MinInsyncWarning(const std::string& topic, int min_insync) {
  if (min_insync < 0 || min_insync >= 2) return "";
  return "topic " + topic + " has min.insync.replicas " + std::to_string(min_insync) +
         ": with acks=all a vote answered 202 may be on the partition leader alone and lost with "
         "its disk; give it 2 (kafka-configs --alter --entity-type topics --entity-name " +
         topic + " --add-config min.insync.replicas=2) and a replication factor of 3 or more";
}

Result<TopicReport> EnsureTopic(const KafkaConfig& config, uint32_t partitions,
                                uint32_t replication, std::chrono::milliseconds timeout) {
  TopicOptions o;
  o.partitions = partitions;
  o.replication = replication;
  o.timeout = timeout;
  return EnsureTopic(config, o);
}

Result<TopicReport> EnsureTopic(const KafkaConfig& config, const TopicOptions& o) {
  if (o.partitions == 0 || o.replication == 0) {
    return Status(Code::kInvalidArgument, "partitions and replication must be at least 1");
  }
  auto min_insync = MinInsyncReplicasFor(o.replication, o.min_insync_replicas);
  if (!min_insync.ok()) return min_insync.status();
  const auto timeout = o.timeout;
  auto conf = NewConf(config, {{"client.id", "urna-init"}}, {});
  if (!conf.ok()) return conf.status();
  auto rk = NewHandle(RD_KAFKA_PRODUCER, std::move(*conf));
  if (!rk.ok()) return rk.status();

  // Already there (a second `urna init`): nothing to create.
  auto existing = Existing(rk->get(), config, o, "topic " + config.topic + " exists");
  if (existing.ok() || existing.status().code() != Code::kNotFound) return existing;

  char err[512] = "";
  rd_kafka_NewTopic_t* topic =
      rd_kafka_NewTopic_new(config.topic.c_str(), static_cast<int>(o.partitions),
                            static_cast<int>(o.replication), err, sizeof err);
  if (!topic) return Status(Code::kInvalidArgument, "topic " + config.topic + ": " + err);
  // Without it the broker's default applies (1 unless the cluster says otherwise): acks=all
  // would then be satisfied by the leader alone once the other replicas fall out of sync.
  if (rd_kafka_resp_err_t e =
          rd_kafka_NewTopic_set_config(topic, kMinInsync, std::to_string(*min_insync).c_str())) {
    rd_kafka_NewTopic_destroy(topic);
    return KafkaError("topic " + config.topic + " min.insync.replicas", e);
  }
  auto options = AdminOptions(rk->get(), RD_KAFKA_ADMIN_OP_CREATETOPICS, timeout);
  rd_kafka_AdminOptions_set_operation_timeout(options.get(), static_cast<int>(timeout.count()), err,
                                              sizeof err);
  std::unique_ptr<rd_kafka_queue_t, QueueDeleter> queue(rd_kafka_queue_new(rk->get()));
  rd_kafka_CreateTopics(rk->get(), &topic, 1, options.get(), queue.get());
  // The result, or an error event; a little longer than the request may take.
  rd_kafka_event_t* ev = rd_kafka_queue_poll(queue.get(), static_cast<int>(timeout.count()) + 5000);
  rd_kafka_NewTopic_destroy(topic);

  rd_kafka_resp_err_t topic_err = RD_KAFKA_RESP_ERR__TIMED_OUT;
  std::string topic_msg = "no answer";
  if (ev) {
    if (rd_kafka_event_error(ev)) {
      topic_err = rd_kafka_event_error(ev);
      topic_msg = rd_kafka_event_error_string(ev);
    } else if (const auto* res = rd_kafka_event_CreateTopics_result(ev)) {
      size_t n = 0;
      const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(res, &n);
      if (n == 1) {
        topic_err = rd_kafka_topic_result_error(results[0]);
        const char* msg = rd_kafka_topic_result_error_string(results[0]);
        topic_msg = msg ? msg : rd_kafka_err2str(topic_err);
      }
    }
    rd_kafka_event_destroy(ev);
  }
  if (topic_err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    TopicReport r{
        config.topic,
        o.partitions,
        o.replication,
        static_cast<int>(*min_insync),
        true,
        "created topic " + config.topic + " with " + std::to_string(o.partitions) + " partitions",
        ""};
    Describe(r, "", o.min_insync_replicas);
    return r;
  }
  if (topic_err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {  // made by another init meanwhile
    return Existing(rk->get(), config, o, "topic " + config.topic + " exists already");
  }
  return Status(Code::kUnavailable,
                "Kafka topic " + config.topic +
                    " does not exist and cannot be created: " + topic_msg +
                    " (a cluster without CreateTopics, such as librdkafka's mock, needs the "
                    "topic made with its own tools)");
}

}  // namespace urna::kafka
