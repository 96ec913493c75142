// `urna ingest`: the HTTP API of `urna serve` over the distributed adapters — votes into Kafka
// through the fenced lifecycle, elections in DynamoDB (cached), receipts from the ledger, results
// from the partitions' checkpoints. Runs until SIGTERM/SIGINT, then drains as `urna serve` does
// and gives up its node lease (so no close waits for it).
#include <spdlog/spdlog.h>

#include <cstdio>
#include <stdexcept>
#include <thread>

#include "adapters/dynamodb/dynamo_checkpoint_read_model.h"
#include "adapters/dynamodb/dynamo_gateways.h"
#include "adapters/dynamodb/dynamo_ledger.h"
#include "adapters/dynamodb/dynamo_node_leases.h"
#include "adapters/kafka/kafka_log_reader.h"
#include "adapters/kafka/kafka_vote_log.h"
#include "app/api.h"
#include "app/distributed_roles.h"
#include "app/distributed_stack.h"
#include "app/embedded_server.h"
#include "app/serve_loop.h"
#include "ingest/ref_recording_log.h"
#include "lifecycle/fenced_lifecycle.h"
#include "lifecycle/scheduler.h"

namespace urna::app {
namespace {

std::string Metrics(const kafka::KafkaVoteLog& log, const FencedLifecycle& lifecycle,
                    const results::ResultsHub& hub, const net::HttpServer* server,
                    const HttpMetrics* requests) {
  auto k = log.stats();
  std::string m;
  AddMetric(m, "urna_votes_durable_total", "counter", k.delivered,
            "Votes acknowledged by Kafka (answered 202)");
  AddMetric(m, "urna_log_append_failures_total", "counter", k.failed,
            "Votes Kafka did not take (answered 503)");
  AddMetric(m, "urna_log_appends_refused_total", "counter", k.refused,
            "Votes answered 503 at once: --kafka-max-in-flight were awaiting Kafka");
  AddMetric(m, "urna_log_in_flight", "gauge", k.in_flight,
            "Votes awaiting Kafka's acknowledgement");
  AddMetric(m, "urna_node_lease_held", "gauge", lifecycle.HasLease() ? 1 : 0,
            "1 while this ingest node holds its lease (and takes votes)");
  AddHttpMetrics(m, server, requests);
  AddBroadcastMetrics(m, hub);  // an ingest node serves live result streams too
  return m;
}

}  // namespace

int RunIngestServer(const IngestOptions& o, const Secrets& secrets) {
  std::pair<std::string, uint16_t> listen;
  try {
    listen = ParseListen(o.listen);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "urna ingest: --listen: %s\n", e.what());
    return 2;
  }
  auto config = DistributedConfig::Make(o.dist);
  if (!config.ok()) {
    std::fprintf(stderr, "urna ingest: %s\n", config.status().message().c_str());
    return 2;
  }
  sigset_t stop_signals = BlockStopSignals();

  auto stack = DistributedStack::Open(o.dist, *config);
  if (!stack.ok()) {
    spdlog::critical("{}", stack.status().message());
    return 1;
  }
  auto& st = **stack;
  auto log = kafka::KafkaVoteLog::Open(config->kafka, o.kafka);
  if (!log.ok()) {
    spdlog::critical("{}", log.status().message());
    return 1;
  }
  // The recount's replay of the topic and the end offsets receipts need: a reader outside the
  // processors' consumer group (it never subscribes, so its group id is never joined).
  kafka::KafkaReaderOptions replay_options;
  replay_options.group_id = "urna-ingest-replay";
  replay_options.client_id = "urna-ingest-replay";
  auto reader = kafka::KafkaLogReader::Open(config->kafka, replay_options);
  if (!reader.ok()) {
    spdlog::critical("{}", reader.status().message());
    return 1;
  }
  SystemClock system_clock;
  MonotonicClock clock{system_clock};
  dynamodb::DynamoNodeLeases leases(*st.dynamo, o.dist.table_prefix, system_clock);
  SteadyClock steady;
  FencedLifecycle lifecycle(*st.catalog, **log, leases, clock, steady, o.node_id, o.fence);
  // Trusted gateways: their refs are looked up by ingest and stored once a batch is durable.
  dynamodb::DynamoGateways gateways(*st.dynamo, o.dist.table_prefix);
  GatewayRegistry gateway_registry;
  if (auto all = gateways.List(); all.ok()) {
    gateway_registry.Replace(*all);
  } else {
    // Deployments made before gateways existed lack the table: `urna init` adds it.
    spdlog::critical(
        "cannot read the gateways from table {}gateways: {} (a deployment initialized before "
        "gateway batches lacks that table: run `urna init` again, it creates the tables missing "
        "and leaves the others as they are)",
        o.dist.table_prefix, all.status().message());
    return 1;
  }
  RefRecordingLog recording_log(lifecycle.vote_log(), gateways);
  IngestService ingest(*st.catalog, recording_log, clock, o.node_id, lifecycle);
  ingest.set_gateway_refs(&gateways);
  auto& replay = **reader;
  const uint32_t kafka_log_partitions = (*log)->partitions();
  dynamodb::DynamoLedger ledger(*st.dynamo, st.tables, (*log)->partitions(),
                                [&replay](uint32_t p) { return replay.EndOffset(p); });
  dynamodb::CheckpointReadModel read_model(*st.dynamo, st.tables, clock, *st.catalog,
                                           kafka_log_partitions);
  VoterTokens tokens(secrets.voter_secret, o.token_policy);
  auto limits = RequestLimits::Create(o.limits);
  if (!limits.ok()) {
    spdlog::critical("{}", limits.status().message());
    return 2;
  }
  AltchaGuard altcha(o.pow);
  net::HttpServer* server_ptr = nullptr;
  const HttpMetrics* requests_ptr = nullptr;
  results::HubOptions hub_options = o.hub;
  hub_options.heartbeat = o.http.stream_keepalive;
  results::ResultsHub hub(*st.catalog, read_model, hub_options);
  auto problem = [&]() -> std::string {  // for /healthz
    if (!lifecycle.HasLease()) {
      auto why = lifecycle.LastError();
      return "this node holds no lease, it takes no votes" +
             (why.ok() ? std::string() : ": " + why.message());
    }
    if (auto s = st.catalog->last_refresh_error(); !s.ok()) return "elections: " + s.message();
    return "";
  };
  auto& kafka_log = **log;
  Api api(ApiDeps{*st.catalog,
                  ingest,
                  lifecycle,
                  kafka_log,
                  replay,
                  *st.state,
                  ledger,
                  read_model,
                  hub,
                  tokens,
                  secrets.admin_token,
                  secrets.audit_key,
                  clock,
                  [&] { return Metrics(kafka_log, lifecycle, hub, server_ptr, requests_ptr); },
                  false,
                  o.export_buffer_rows,
                  &altcha,
                  o.limits.enabled ? limits->get() : nullptr,
                  problem,
                  &gateways,
                  &gateway_registry,
                  o.batch,
                  nullptr,
                  o.cors});
  HttpMetrics requests(api.router());
  requests_ptr = &requests;
  net::HttpServerOptions http = o.http;
  http.observer = &requests;
  http.stream_period = o.hub.tick;  // the fan-out budget is per tick
  http.batch_body_bytes = o.batch.max_body_bytes;
  http.batch_body_refusal = [&api](std::string_view auth) { return api.BatchBodyRefusal(auth); };
  http.host = listen.first;
  http.port = listen.second;
  net::HttpServer server(http, api.handler());
  server_ptr = &server;

  if (auto s = read_model.Start(); !s.ok()) {
    spdlog::critical("cannot read the checkpoints: {}", s.message());
    return 1;
  }
  lifecycle.Start();
  // schedule: every ingest node runs the scheduler; their opens and closes go through the fenced
  // lifecycle, so two nodes closing the same election at closes_at agree on one close. The first
  // pass (catching up on times passed while the node was down) runs before the server listens;
  // a fenced close waits for this node's lease (lifecycle.Start above), at most close_timeout.
  ElectionScheduler scheduler(*st.catalog, lifecycle, clock);
  scheduler.RunDue();
  scheduler.Start();
  hub.Start();
  // Re-reads the gateways every gateway_refresh, so revocations on other nodes reach this one.
  Mutex refresh_mu;
  CondVar refresh_cv;
  bool refresh_stop = false;
  std::thread refresher([&] {
    pthread_setname_np(pthread_self(), "urna-gateways");
    MutexLock lock(refresh_mu);
    for (;;) {
      auto deadline = std::chrono::steady_clock::now() + o.gateway_refresh;
      while (!refresh_stop && refresh_cv.WaitUntil(refresh_mu, deadline)) {
      }
      if (refresh_stop) return;
      lock.Unlock();
      auto all = gateways.List();
      if (all.ok()) {
        gateway_registry.Replace(*all);
      } else {
        spdlog::warn("cannot re-read the gateways (the last ones stay): {}",
                     all.status().message());
      }
      lock.Lock();
    }
  });
  auto stop_refresher = [&] {
    {
      MutexLock lock(refresh_mu);
      refresh_stop = true;
    }
    refresh_cv.NotifyAll();
    refresher.join();
  };
  if (auto s = server.Start(); !s.ok()) {
    spdlog::critical("{}", s.message());
    stop_refresher();
    scheduler.Stop();
    hub.Stop();
    lifecycle.Stop();
    read_model.Stop();
    return 1;
  }
  std::string url = ServerUrl(listen.first, server.port());
  std::printf("urna ingest listening on %s (node %s, topic %s with %u partitions, tables %s*)\n",
              url.c_str(), o.node_id.c_str(), o.dist.topic.c_str(), kafka_log.partitions(),
              o.dist.table_prefix.c_str());
  std::fflush(stdout);
  LogConnectionCaps(server, o.http.max_connections);

  int sig = WaitStopSignal(stop_signals);
  spdlog::info("signal {}: draining", sig);
  scheduler.Stop();                             // no scheduled close starts while the log drains
  DrainFront(server, recording_log, api, hub);  // drains the Kafka log, then the ref writes
  stop_refresher();
  lifecycle.Stop();  // gives up the lease: no close waits for this node
  read_model.Stop();
  auto k = kafka_log.stats();
  spdlog::info("stopped: {} votes delivered to Kafka, {} failed, {} refused", k.delivered, k.failed,
               k.refused);
  return 0;
}

}  // namespace urna::app
