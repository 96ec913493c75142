// The parts of running an HTTP front that `urna serve` and `urna ingest` share: stop signals,
// the drain on SIGTERM (docs/operations.md "Start and stop"), the HTTP lines of /metrics and the
// start-up lines. Free functions for the main thread of either role.
#pragma once

#include <csignal>
#include <cstdint>
#include <string>

#include "app/api.h"
#include "app/http_metrics.h"
#include "net/http_server.h"
#include "ports/vote_log.h"
#include "results/hub.h"

namespace urna::app {

// Blocks SIGTERM and SIGINT (WaitStopSignal takes them) and ignores SIGPIPE. Call before any
// thread starts, so every thread inherits the mask.
sigset_t BlockStopSignals();
// Waits for SIGTERM or SIGINT; returns it.
int WaitStopSignal(const sigset_t& signals);

// The drain: no new connections, every queued vote completed (202 or 503) and answered, then
// requests refused (503 shutting_down), the API's storage calls finished, the hub stopped and the
// server closed after a grace period. The services behind the API stop after this.
void DrainFront(net::HttpServer& server, VoteLog& log, Api& api, results::ResultsHub& hub);

// "http://HOST:PORT" of a started server.
std::string ServerUrl(const std::string& host, uint16_t port);

// Prometheus text: one metric, with its HELP and TYPE lines (app/metrics_text.h).
void AddMetric(std::string& m, const char* name, const char* type, uint64_t value,
               const char* help);
// The urna_http_* metrics of `server` (none when null, before it exists), viewers by protocol,
// and the per-route request counts and latencies of `requests` (when not null).
void AddHttpMetrics(std::string& m, const net::HttpServer* server,
                    const HttpMetrics* requests = nullptr);

// urna_broadcast_reach95_seconds (histogram: each broadcast of `hub` from its tick's start until
// its copies handed to the kernel reached 95% of its viewers), urna_broadcast_unreached95_total,
// urna_broadcast_duration_seconds (histogram: until the last viewer's copy was written or
// skipped) and urna_broadcast_viewers_total{outcome} (results/broadcast.h).
void AddBroadcastMetrics(std::string& m, const results::ResultsHub& hub);

// Logs the connection caps of a started server (and warns when they leave too few descriptors).
void LogConnectionCaps(const net::HttpServer& server, size_t max_connections_flag);

}  // namespace urna::app
