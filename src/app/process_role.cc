// `urna process`: the stream processor of the distributed deployment. Joins the processors'
// consumer group on the topic and runs a PartitionProcessor for each partition the group assigns
// to this process, with the ledger and checkpoints in DynamoDB (exactly-once effects:
// processor/group_processor.h). Runs until SIGTERM/SIGINT, then leaves the group (its partitions'
// batches in hand finish and move to the other processors).
#include <spdlog/spdlog.h>

#include <cstdio>

#include "adapters/kafka/kafka_log_reader.h"
#include "app/distributed_roles.h"
#include "app/distributed_stack.h"
#include "app/serve_loop.h"
#include "processor/group_processor.h"

namespace urna::app {
namespace {

// The processor publishes each partition's tallies to a read model; in this deployment the
// results are read from the checkpoints in DynamoDB (by the ingest nodes) until the Redis read
// model (issue 10), so there is nothing to publish to yet.
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
  NoReadModel read_model;
  GroupProcessor processor(**reader, **reader, *st.state, *st.catalog, read_model, o.processor);
  if (auto s = processor.Start(); !s.ok()) {
    spdlog::critical("cannot join the consumer group: {}", s.message());
    return 1;
  }
  std::printf("urna process %s started: consumer group %s on topic %s (%u partitions)\n",
              o.node_id.c_str(), reader_options.group_id.c_str(), o.dist.topic.c_str(),
              (*reader)->partitions());
  std::fflush(stdout);

  int sig = WaitStopSignal(stop_signals);
  spdlog::info("signal {}: leaving the group", sig);
  processor.Stop();
  auto t = processor.totals();
  spdlog::info("stopped: {} counted, {} duplicate, {} rejected in {} batches", t.counted,
               t.duplicate, t.rejected, t.batches);
  return 0;
}

}  // namespace urna::app
