#include "app/embedded_server.h"

#include <spdlog/spdlog.h>

#include <sys/stat.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include "adapters/embedded/rocksdb_gateway_store.h"
#include "app/api.h"
#include "app/backup.h"
#include "app/demo.h"
#include "app/embedded_stack.h"
#include "app/http_metrics.h"
#include "app/serve_loop.h"
#include "app/store_metrics.h"
#include "auth/secrets.h"
#include "lifecycle/local_lifecycle.h"
#include "lifecycle/scheduler.h"
#include "net/connection_limiter.h"
#include "net/http_server.h"
#include "results/lag_bound_read_model.h"

namespace urna::app {

std::pair<std::string, uint16_t> ParseListen(const std::string& listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos)
    throw std::invalid_argument("listen must be HOST:PORT: " + listen);
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  int port = std::stoi(listen.substr(colon + 1));
  if (port < 0 || port > 65535) throw std::invalid_argument("port out of range: " + listen);
  return {host.empty() ? "0.0.0.0" : host, static_cast<uint16_t>(port)};
}

namespace {

// The /metrics page of `urna serve` (docs/operations.md "What to watch").
struct MetricsSources {
  embedded::EmbeddedVoteLog& log;
  const Processor& processor;
  Catalog& catalog;
  ReadModel& read_model;
  const embedded::StorageHealth& storage;
  size_t max_elections;
  const net::HttpServer* server = nullptr;   // set once it exists
  const HttpMetrics* requests = nullptr;     // likewise
  const results::ResultsHub* hub = nullptr;  // likewise
};

std::string Metrics(const MetricsSources& s) {
  auto g = s.log.stats();
  auto t = s.processor.totals();
  std::string m;
  AddMetric(m, "urna_votes_durable_total", "counter", g.votes,
            "Votes made durable in the log (answered 202)");
  AddMetric(m, "urna_log_fsyncs_total", "counter", g.batches,
            "Log fsyncs (group commits; votes per fsync = durable votes / fsyncs)");
  AddMetric(m, "urna_log_append_failures_total", "counter", g.failures,
            "Votes answered 503 because the log could not write them");
  AddMetric(m, "urna_votes_counted_total", "counter", t.counted,
            "Votes counted by the processor since start");
  AddMetric(m, "urna_votes_duplicate_total", "counter", t.duplicate,
            "Votes found duplicate (over the voter's limit) since start");
  AddMetric(m, "urna_votes_rejected_total", "counter", t.rejected,
            "Votes rejected (with a reason on the receipt) since start");
  AddMetric(m, "urna_processor_batches_total", "counter", t.batches,
            "Batches the processor committed since start");
  AddMetric(m, "urna_processor_offsets", "gauge", t.processed_offsets,
            "Sum over the partitions of the next log entry to process");
  MetricsText lag;  // in seconds, as Prometheus names units (was urna_processor_lag_ms)
  lag.Gauge("urna_processor_lag_seconds",
            "How long the oldest durable, uncounted entry may have waited; what stale compares "
            "with --stale-after-ms",
            static_cast<double>(s.processor.LagMs()) / 1000.0);
  m += lag.text();
  auto h = s.storage.view();
  AddMetric(m, "urna_storage_healthy", "gauge", h.healthy ? 1 : 0,
            "1 while storage works, 0 while it fails (see /healthz)");
  AddMetric(m, "urna_storage_errors_total", "counter", h.failures,
            "Storage errors reported by RocksDB or a failed write");
  AddMetric(m, "urna_storage_recoveries_total", "counter", h.recoveries,
            "Storage repairs made without a restart");
  MetricsText text;
  WritePartitionLag(text, s.processor.NextOffsets(), s.log);
  WriteElectionMetrics(text, s.catalog, s.read_model, s.max_elections);
  m += text.text();
  AddHttpMetrics(m, s.server, s.requests);
  if (s.hub) AddBroadcastMetrics(m, *s.hub);
  return m;
}

}  // namespace

int RunEmbeddedServer(const ServeOptions& o) {
  auto [host, port] = ParseListen(o.listen);

  // Signals are taken by sigwait below; block them before any thread starts.
  sigset_t stop_signals = BlockStopSignals();

  // The data dir holds every ballot: whatever this process creates is for its user only
  // (RocksDB makes its files 0644 otherwise; EmbeddedDb also narrows older ones).
  ::umask(077);
  Secrets secrets = LoadSecrets(o.data_dir);
  auto stack = EmbeddedStack::Open(o.data_dir, o.partitions, o.storage);
  if (!stack.ok()) {
    spdlog::critical("{}", stack.status().message());
    return 1;
  }
  auto& st = **stack;
  auto& catalog = *st.catalog;
  auto& log = *st.log;
  auto& processor = *st.processor;
  auto& clock = st.clock;
  LocalLifecycle lifecycle(catalog, log, clock);  // orders closes against this node's votes
  IngestService ingest(catalog, log, clock, o.node_id, lifecycle);
  ingest.set_gateway_refs(&log);  // the log's own "gwref/" keys
  VoterTokens tokens(secrets.voter_secret, o.token_policy);
  auto limits = RequestLimits::Create(o.limits);
  if (!limits.ok()) {
    spdlog::critical("{}", limits.status().message());
    return 1;
  }
  AltchaGuard altcha(o.pow);
  // One keep-alive interval for every stream: SSE comments (the hub) and WebSocket pings (net).
  results::HubOptions hub_options = o.hub;
  hub_options.heartbeat = o.http.stream_keepalive;
  // What the read side reads: the live tallies, stale while the processor lags past the bound.
  results::LagBoundReadModel read_model(
      *st.read_model, [&processor] { return processor.LagMs(); }, o.stale_after);
  results::ResultsHub hub(catalog, read_model, hub_options);
  auto storage_problem = [&st]() -> std::string {  // for /healthz
    auto h = st.db->health().view();
    if (h.healthy) return "";
    return h.problem.empty() ? "storage is failing" : h.problem;
  };
  embedded::EmbeddedGatewayStore gateways(*st.db);
  GatewayRegistry gateway_registry;
  if (auto all = gateways.List(); all.ok()) {
    gateway_registry.Replace(*all);
  } else {
    spdlog::critical("cannot read the gateways: {}", all.status().message());
    return 1;
  }
  Backups backups(*st.db, o.data_dir, o.backup_dir);
  MetricsSources metrics{log, processor, catalog, read_model, st.db->health(), o.metrics_elections};
  metrics.hub = &hub;
  Api api(ApiDeps{catalog,
                  ingest,
                  lifecycle,
                  log,
                  log,
                  *st.state,
                  *st.ledger,
                  read_model,
                  hub,
                  tokens,
                  secrets.admin_token,
                  secrets.audit_key,
                  clock,
                  [&metrics] { return Metrics(metrics); },
                  o.demo,
                  o.export_buffer_rows,
                  &altcha,
                  o.limits.enabled ? limits->get() : nullptr,
                  storage_problem,
                  &gateways,
                  &gateway_registry,
                  o.batch,
                  &backups,
                  o.cors});
  HttpMetrics requests(api.router());
  metrics.requests = &requests;
  net::HttpServerOptions http = o.http;
  http.observer = &requests;
  http.stream_period = o.hub.tick;  // the fan-out budget is per tick
  http.batch_body_bytes = o.batch.max_body_bytes;
  http.batch_body_refusal = [&api](std::string_view auth) { return api.BatchBodyRefusal(auth); };
  http.host = host;
  http.port = port;
  net::HttpServer server(http, api.handler());
  // Declared after the server, so destroyed before it on every return: the log's completions
  // are posted to the server's network threads (sync/home_thread.h), so none may be left when
  // they go. Drain() is idempotent (the normal path drains in DrainFront first).
  struct DrainLogBeforeServer {
    embedded::EmbeddedVoteLog& log;
    ~DrainLogBeforeServer() { log.Drain(); }
  } drain_log_before_server{log};
  metrics.server = &server;

  if (o.demo) {
    if (auto s = EnsureDemoElection(catalog, lifecycle, clock.NowMs()); !s.ok()) {
      spdlog::critical("cannot create the demo election: {}", s.message());
      return 1;
    }
  }
  processor.Start();
  hub.Start();
  // schedule: opens_at / closes_at through the same lifecycle as the admin routes. The first
  // pass runs before the server listens, so an election whose closes_at passed while the server
  // was down takes no vote.
  ElectionScheduler scheduler(catalog, lifecycle, clock);
  scheduler.RunDue();
  scheduler.Start();
  if (auto s = server.Start(); !s.ok()) {
    spdlog::critical("{}", s.message());
    scheduler.Stop();
    processor.Stop();
    return 1;
  }
  std::string url = ServerUrl(host, server.port());
  std::printf("urna listening on %s (data dir %s, %u partitions)\n", url.c_str(),
              o.data_dir.c_str(), st.db->partitions());
  std::printf("pages: %s/ (vote: %s/e/<election>, admin: %s/admin)\n", url.c_str(), url.c_str(),
              url.c_str());
  if (o.demo) {
    const char* env_secret = std::getenv("URNA_VOTER_SECRET");  // LoadSecrets took it
    PrintDemoHelp(url, o.data_dir, secrets.admin_token, env_secret && *env_secret);
  }
  std::fflush(stdout);
  LogConnectionCaps(server, o.http.max_connections);

  int sig = WaitStopSignal(stop_signals);
  spdlog::info("signal {}: draining", sig);
  scheduler.Stop();  // no scheduled close starts while the log drains
  DrainFront(server, log, api, hub);
  processor.Stop();
  auto g = log.stats();
  spdlog::info("stopped: {} votes durable in {} fsyncs", g.votes, g.batches);
  return 0;
}

}  // namespace urna::app
