#include "adapters/kafka/kafka_admin.h"

#include "adapters/kafka/kafka_handle.h"

namespace urna::kafka {

namespace {

// The topic as it exists, for a report.
Result<TopicReport> Existing(rd_kafka_t* rk, const KafkaConfig& config, uint32_t wanted,
                             std::chrono::milliseconds timeout, std::string why) {
  auto n = PartitionCount(rk, config.topic, timeout);
  if (!n.ok()) return n.status();
  TopicReport r{config.topic, *n, false, std::move(why)};
  if (*n != wanted) {
    r.note += "; it has " + std::to_string(*n) + " partitions, not the " + std::to_string(wanted) +
              " asked for (left unchanged)";
  }
  return r;
}

}  // namespace

Result<TopicReport> EnsureTopic(const KafkaConfig& config, uint32_t partitions,
                                uint32_t replication, std::chrono::milliseconds timeout) {
  if (partitions == 0 || replication == 0) {
    return Status(Code::kInvalidArgument, "partitions and replication must be at least 1");
  }
  auto conf = NewConf(config, {{"client.id", "urna-init"}}, {});
  if (!conf.ok()) return conf.status();
  auto rk = NewHandle(RD_KAFKA_PRODUCER, std::move(*conf));
  if (!rk.ok()) return rk.status();

  // Already there (a second `urna init`): nothing to create.
  auto existing =
      Existing(rk->get(), config, partitions, timeout, "topic " + config.topic + " exists");
  if (existing.ok() || existing.status().code() != Code::kNotFound) return existing;

  char err[512] = "";
  rd_kafka_NewTopic_t* topic =
      rd_kafka_NewTopic_new(config.topic.c_str(), static_cast<int>(partitions),
                            static_cast<int>(replication), err, sizeof err);
  if (!topic) return Status(Code::kInvalidArgument, "topic " + config.topic + ": " + err);
  rd_kafka_AdminOptions_t* options =
      rd_kafka_AdminOptions_new(rk->get(), RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_request_timeout(options, static_cast<int>(timeout.count()), err,
                                            sizeof err);
  rd_kafka_AdminOptions_set_operation_timeout(options, static_cast<int>(timeout.count()), err,
                                              sizeof err);
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk->get());
  rd_kafka_CreateTopics(rk->get(), &topic, 1, options, queue);
  // The result, or an error event; a little longer than the request may take.
  rd_kafka_event_t* ev = rd_kafka_queue_poll(queue, static_cast<int>(timeout.count()) + 5000);
  rd_kafka_NewTopic_destroy(topic);
  rd_kafka_AdminOptions_destroy(options);
  rd_kafka_queue_destroy(queue);

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
    return TopicReport{config.topic, partitions, true,
                       "created topic " + config.topic + " with " + std::to_string(partitions) +
                           " partitions, replication " + std::to_string(replication)};
  }
  if (topic_err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {  // made by another init meanwhile
    return Existing(rk->get(), config, partitions, timeout,
                    "topic " + config.topic + " exists already");
  }
  return Status(Code::kUnavailable,
                "Kafka topic " + config.topic +
                    " does not exist and cannot be created: " + topic_msg +
                    " (a cluster without CreateTopics, such as librdkafka's mock, needs the "
                    "topic made with its own tools)");
}

}  // namespace urna::kafka
