// `urna process`: the stream processor of the distributed deployment. Joins the processors'
// consumer group on the topic and runs a PartitionProcessor for each partition the group assigns
// to this process, with the ledger and checkpoints in DynamoDB (exactly-once effects:
// processor/group_processor.h). With --redis it publishes each partition's tallies to Redis after
// every checkpoint (redis::RedisReadModel: fenced by offset, retried in the background while
// Redis is down, never slowing the counting), for `urna results`. Runs until SIGTERM/SIGINT,
// then leaves the group (its partitions' batches in hand finish and move to the other
// processors). With --metrics-listen it serves GET /metrics and /healthz on a port of its own
// (app/process_http.h).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "adapters/kafka/kafka_log_reader.h"
#include "adapters/redis/redis_read_model.h"
#include "adapters/redis/redis_url.h"
#include "app/distributed_roles.h"
#include "app/distributed_stack.h"
#include "app/embedded_server.h"
#include "app/process_http.h"
#include "app/serve_loop.h"
#include "processor/group_processor.h"

namespace urna::app {
namespace {

// Without --redis there is nothing to publish to: the ingest nodes still serve results read
// from the checkpoints in DynamoDB, and no result server can follow this processor.
class NoReadModel final : public ReadModel {
 public:
  Status Apply(const PartitionTally&) override { return Status::Ok(); }
  Result<ElectionTally> Get(std::string_view) override { return ElectionTally{}; }
};

}  // namespace

int RunProcessor(const ProcessOptions& o) {
  auto config = DistributedConfig::Make(o.dist);
  if (!config.ok()) {
    std::fprintf(stderr, "urna process: %s\n", config.status().message().c_str());
    return 2;
  }
  std::optional<redis::RedisUrl> redis_url;
  if (!o.dist.redis_url.empty()) {
    auto u = redis::ParseRedisUrl(o.dist.redis_url);
    if (!u.ok()) {
      std::fprintf(stderr, "urna process: --redis / URNA_REDIS_URL: %s\n",
                   u.status().message().c_str());
      return 2;
    }
    redis_url = std::move(*u);
  }
  if (!o.metrics_listen.empty()) {
    try {
      ParseListen(o.metrics_listen);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "urna process: --metrics-listen / URNA_METRICS_LISTEN: %s\n", e.what());
      return 2;
    }
  }
  sigset_t stop_signals = BlockStopSignals();
  auto stack = DistributedStack::Open(o.dist, *config);
  if (!stack.ok()) {
    spdlog::critical("{}", stack.status().message());
    return 1;
  }
  auto& st = **stack;
  kafka::KafkaReaderOptions reader_options;
  reader_options.client_id = "urna-process-" + o.node_id;
  auto reader = kafka::KafkaLogReader::Open(config->kafka, reader_options);
  if (!reader.ok()) {
    spdlog::critical("{}", reader.status().message());
    return 1;
  }
  SystemClock clock;
  NoReadModel no_read_model;
  std::unique_ptr<redis::RedisReadModel> redis_model;
  if (redis_url) redis_model = std::make_unique<redis::RedisReadModel>(*redis_url, clock);
  ReadModel& read_model = redis_model ? static_cast<ReadModel&>(*redis_model) : no_read_model;
  GroupProcessor processor(**reader, **reader, *st.state, *st.catalog, read_model, o.processor);
  // The metrics port first: a port that cannot be bound exits before this node joins the
  // consumer group (joining, then leaving, would move every partition twice).
  std::unique_ptr<ProcessHttp> http;
  if (!o.metrics_listen.empty()) {
    http = std::make_unique<ProcessHttp>(o.metrics_listen, o.node_id, processor, **reader,
                                         redis_model.get());
    if (auto s = http->Start(); !s.ok()) {
      spdlog::critical("{}", s.message());
      return 1;
    }
  }
  if (auto s = processor.Start(); !s.ok()) {
    spdlog::critical("cannot join the consumer group: {}", s.message());
    return 1;
  }
  std::string publish = redis_url ? "publishing results to " + redis_url->Redacted()
                                  : "publishing no results (no --redis)";
  std::string metrics = http ? ", metrics on " + http->url() + "/metrics" : "";
  std::printf("urna process %s started: consumer group %s on topic %s (%u partitions), %s%s\n",
              o.node_id.c_str(), reader_options.group_id.c_str(), o.dist.topic.c_str(),
              (*reader)->partitions(), publish.c_str(), metrics.c_str());
  std::fflush(stdout);

  int sig = 0;
  if (!redis_model) {
    sig = WaitStopSignal(stop_signals);
  } else {
    // Once a second: a partition the group moved to another processor is no longer re-sent to
    // Redis by this one (its new owner publishes it; TallyPublisher::ForgetPartition).
    std::vector<uint32_t> owned = processor.owned();
    const timespec second{1, 0};
    while ((sig = sigtimedwait(&stop_signals, nullptr, &second)) < 0) {
      std::vector<uint32_t> now = processor.owned();
      for (uint32_t p : owned) {
        if (!std::binary_search(now.begin(), now.end(), p)) redis_model->ForgetPartition(p);
      }
      owned = std::move(now);
    }
  }
  spdlog::info("signal {}: leaving the group", sig);
  if (http) http->Stop();
  processor.Stop();
  auto t = processor.totals();
  spdlog::info("stopped: {} counted, {} duplicate, {} rejected in {} batches", t.counted,
               t.duplicate, t.rejected, t.batches);
  if (redis_model) {
    auto p = redis_model->publisher_stats();
    spdlog::info("redis: {} updates applied, {} fenced, {} full re-sends, {} still pending",
                 p.applied, p.fenced, p.resends, p.pending);
  }
  return 0;
}

}  // namespace urna::app
