// The roles of the distributed deployment (issue 9, docs/operations.md "Distributed mode"), each
// a subcommand of the same binary: `urna init` creates the Kafka topic and the DynamoDB tables;
// `urna ingest` serves the same HTTP API as `urna serve` (src/app/api.h) over the distributed
// adapters (Kafka vote log, DynamoDB catalog, ledger and checkpoints, the fenced close);
// `urna process` runs the stream processor for the partitions the consumer group assigns it.
// Each Run* blocks on the main thread until done (init) or until SIGTERM/SIGINT (ingest,
// process) and returns the process exit code: 0, 1 (could not start: Kafka or DynamoDB
// unreachable, a table missing), 2 (bad configuration: the message says which setting).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "adapters/kafka/kafka_vote_log.h"
#include "app/distributed_options.h"
#include "audit/ledger_export.h"
#include "auth/altcha.h"
#include "auth/request_limits.h"
#include "auth/secrets.h"
#include "auth/voter_tokens.h"
#include "ingest/ingest_service.h"
#include "lifecycle/fenced_lifecycle.h"
#include "net/http_server.h"
#include "processor/group_processor.h"
#include "results/hub.h"

namespace urna::app {

struct InitOptions {
  DistributedOptions dist;
  uint32_t partitions = 12;  // of a new topic
  int replication = 3;       // of a new topic
};

// Creates the topic and every table unless they exist; prints one line per thing, saying
// whether it was created or found. Idempotent.
int RunInit(const InitOptions& options);

// What `urna ingest` runs with: the HTTP front of `urna serve` (the same field names, so
// src/cmd/flags.h sets both), the distributed settings and this node's name.
struct IngestOptions {
  DistributedOptions dist;
  std::string listen = "127.0.0.1:8080";
  std::string node_id;           // "" = DefaultNodeId()
  kafka::KafkaLogOptions kafka;  // delivery timeout, appends in flight at most
  FenceOptions fence;            // node lease and close timings

  net::HttpServerOptions http;
  results::HubOptions hub;
  AltchaGuard::Options pow;
  size_t export_buffer_rows = LedgerExport::kDefaultBufferRows;
  TokenPolicy token_policy;
  RequestLimitOptions limits;
  BatchLimits batch;  // trusted gateway batches: votes and body size
  // How often the gateways are re-read from DynamoDB: a gateway revoked through another ingest
  // node is refused here within this time (at once on the node that revoked it).
  std::chrono::milliseconds gateway_refresh{1000};
};

int RunIngestServer(const IngestOptions& options, const Secrets& secrets);

struct ProcessOptions {
  DistributedOptions dist;
  std::string node_id;  // "" = DefaultNodeId(); names this member in logs
  GroupProcessorOptions processor;
};

int RunProcessor(const ProcessOptions& options);

}  // namespace urna::app
