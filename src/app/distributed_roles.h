// The roles of the distributed deployment (issue 9, docs/operations.md "Distributed mode"), each
// a subcommand of the same binary: `urna init` creates the Kafka topic and the DynamoDB tables;
// `urna ingest` serves the same HTTP API as `urna serve` (src/app/api.h) over the distributed
// adapters (Kafka vote log, DynamoDB catalog, ledger and checkpoints, the fenced close);
// `urna process` runs the stream processor for the partitions the consumer group assigns it and
// publishes its tallies to Redis (--redis); `urna results` serves the results (snapshot, SSE,
// WebSocket, the web pages) from Redis, any number of them, several on one port (--reuse-port).
// Each Run* blocks on the main thread until done (init) or until SIGTERM/SIGINT (ingest,
// process, results) and returns the process exit code: 0, 1 (could not start: Kafka or
// DynamoDB unreachable, a table missing, the port taken), 2 (bad configuration: the message
// says which setting).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "adapters/kafka/kafka_vote_log.h"
#include "app/cors.h"
#include "app/distributed_options.h"
#include "audit/ledger_export.h"
#include "auth/altcha.h"
#include "auth/request_limits.h"
#include "auth/secrets.h"
#include "auth/voter_tokens.h"
#include "core/tally.h"
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
  CorsPolicy cors;  // --cors-origins: cross-origin reads (none by default)
};

int RunIngestServer(const IngestOptions& options, const Secrets& secrets);

struct ProcessOptions {
  DistributedOptions dist;  // dist.redis_url: where to publish the tallies ("" = nowhere)
  std::string node_id;      // "" = DefaultNodeId(); names this member in logs
  GroupProcessorOptions processor;
  // HOST:PORT of the processor's own HTTP server, GET /metrics and /healthz only (port 0 = any);
  // "" = none (--metrics-listen, URNA_METRICS_LISTEN).
  std::string metrics_listen;
};

int RunProcessor(const ProcessOptions& options);

// What `urna results` runs with: the HTTP front's network and stream settings (the same field
// names as ServeOptions, so src/cmd/flags.h sets all three), the table prefix and Redis.
struct ResultsOptions {
  DistributedOptions dist;  // table_prefix and redis_url (required); Kafka is not used
  std::string listen = "127.0.0.1:8081";
  std::string node_id;          // "" = DefaultNodeId(); in /healthz and logs
  net::HttpServerOptions http;  // http.reuse_port: --reuse-port
  results::HubOptions hub;
  // How long a request for an election not read from Redis yet waits for it.
  std::chrono::milliseconds load_wait{3000};
  // Requests waiting for a first read at most (more: 503 at once).
  size_t max_load_waiters = 10'000;
  // Of those, requests for an election the catalog does not know, waiting for its next refresh
  // (more: answered at once, 404 unless it is known by then).
  size_t max_unknown_waiters = 1'000;
  // The Redis cache's full re-read period (the safety net under pub/sub).
  std::chrono::milliseconds redis_refresh{5000};
  // Results are marked stale while a processor reports a lag above this (or a partition has no
  // live processor): TallyCacheOptions::stale_after.
  std::chrono::milliseconds stale_after{kDefaultStaleAfterMs};
  CorsPolicy cors;  // --cors-origins: cross-origin reads (none by default)
};

int RunResultServer(const ResultsOptions& options);

}  // namespace urna::app
