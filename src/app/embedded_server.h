// The embedded deployment (`urna serve`): one process, one data directory. Wires the RocksDB
// adapters, the processor, the election lifecycle, the ingest service, the results hub and the
// HTTP API together, runs until SIGTERM or
// SIGINT, then drains: stops accepting, completes in-flight appends, answers every request it
// has read (202 if durable, 503 otherwise, with Connection: close), exits.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "adapters/embedded/db.h"
#include "app/cors.h"
#include "audit/ledger_export.h"
#include "auth/altcha.h"
#include "auth/request_limits.h"
#include "auth/voter_tokens.h"
#include "core/tally.h"
#include "ingest/ingest_service.h"
#include "net/http_server.h"
#include "results/hub.h"

namespace urna::app {

// What `urna serve` runs with (its flags: src/cmd/main.cc, docs/operations.md). Each module's
// settings are that module's own options struct, so every default is written once, there.
struct ServeOptions {
  std::string data_dir = "urna-data";
  std::string listen = "127.0.0.1:8080";  // sets http.host and http.port
  bool demo = false;
  uint32_t partitions = 8;  // only used when the data dir is new
  std::string node_id = "node-1";
  // Results are marked `stale` while the processor lags by more than this (Processor::LagMs).
  std::chrono::milliseconds stale_after{kDefaultStaleAfterMs};
  // ops: live elections with their own /metrics series at most (bounded label sets).
  size_t metrics_elections = 100;
  // ops: where POST /v1/admin/backup (`urna backup`) may make backups; empty = backups off.
  std::string backup_dir;

  net::HttpServerOptions http;  // network and read-side threads, caps, timeouts
  results::HubOptions hub;      // results push tick
  embedded::DbOptions storage;  // free disk needed to start and resume, memtable size
  AltchaGuard::Options pow;     // proof-of-work challenge lifetime, replay set size
  size_t export_buffer_rows = LedgerExport::kDefaultBufferRows;  // ledger export, in memory
  TokenPolicy token_policy;    // maximum lifetime, required aud / iss of voter tokens
  RequestLimitOptions limits;  // rate limits (limits.enabled = false: none)
  BatchLimits batch;           // trusted gateway batches: votes and body size
  CorsPolicy cors;             // --cors-origins: cross-origin reads (none by default)
};

// Blocks until a stop signal; returns the process exit code.
int RunEmbeddedServer(const ServeOptions& options);

// "host:port" -> parts; throws std::invalid_argument on a bad value (start-up only).
std::pair<std::string, uint16_t> ParseListen(const std::string& listen);

}  // namespace urna::app
