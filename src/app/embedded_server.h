// The embedded deployment (`urna serve`): one process, one data directory. Wires the RocksDB
// adapters, the processor, the ingest service and the HTTP API together, runs until SIGTERM or
// SIGINT, then drains: stops accepting, completes in-flight appends, answers every request it
// has read (202 if durable, 503 otherwise, with Connection: close), exits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "auth/request_limits.h"
#include "auth/voter_tokens.h"

namespace urna::app {

struct ServeOptions {
  std::string data_dir = "urna-data";
  std::string listen = "127.0.0.1:8080";
  bool demo = false;
  int http_threads = 2;
  uint32_t partitions = 8;  // only used when the data dir is new
  std::string node_id = "node-1";
  int tick_ms = 250;  // results push tick
  // Storage: free disk space needed to start and to resume writes after a full disk, and the
  // memtable size per column family (0 = RocksDB's default, 64 MiB). docs/operations.md.
  uint64_t min_free_disk_mb = 64;
  uint64_t write_buffer_mb = 0;
  // Connections (net/http_server.h). 0 = derived: the descriptor limit minus a reserve kept
  // for RocksDB and the log (DefaultMaxConnections); viewers 3/4 of the connections.
  size_t max_connections = 0;
  size_t max_viewers = 0;
  int idle_timeout_s = 60;
  int busy_idle_timeout_s = 5;            // above 80% of max_connections
  size_t export_buffer_rows = 4'000'000;  // ledger export rows in memory before spilling
  int pow_ttl_s = 300;                   // how long a proof-of-work challenge may be used
  size_t pow_replay_capacity = 1000000;  // accepted, unexpired challenges remembered

  TokenPolicy token_policy;    // maximum lifetime, required aud / iss of voter tokens
  RequestLimitOptions limits;  // rate limits (limits.enabled = false: none)
  // Live result streams (net/http_server.h): read-side threads (0 = on the network threads),
  // their niceness, and the write timeout of SSE and WebSocket alike.
  int stream_threads = 1;
  int stream_nice = 10;
  int stream_write_timeout_s = 10;
};

// Blocks until a stop signal; returns the process exit code.
int RunEmbeddedServer(const ServeOptions& options);

// "host:port" -> parts; throws std::invalid_argument on a bad value (start-up only).
std::pair<std::string, uint16_t> ParseListen(const std::string& listen);

}  // namespace urna::app
