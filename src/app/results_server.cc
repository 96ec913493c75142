// `urna results`: a result server of the distributed deployment (issue 10, docs/operations.md
// "Result servers"). Elections from DynamoDB (the catalog, cached and refreshed; read only),
// tallies from Redis (RedisTallyCache: pub/sub plus a periodic re-read), served through the same
// hub and result routes as `urna serve`. Needs no secret and no Kafka. Any number run side by
// side; with --reuse-port several share one port on a host. Redis down, or the processors down
// or lagging past --stale-after-ms: the last results are still served, marked stale, and
// /healthz says why they may be old; the cache reconnects by itself. Runs until
// SIGTERM/SIGINT, then drains (no new connections, answers finished, streams closed).
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <thread>

#include "adapters/dynamodb/dynamo_catalog.h"
#include "adapters/dynamodb/dynamo_client.h"
#include "adapters/redis/redis_tally_cache.h"
#include "adapters/redis/redis_url.h"
#include "app/distributed_roles.h"
#include "app/embedded_server.h"
#include "app/result_server_api.h"
#include "app/serve_loop.h"

namespace urna::app {
namespace {

int ConfigError(const std::string& message) {
  std::fprintf(stderr, "urna results: %s\n", message.c_str());
  return 2;
}

// The drain of a result server: as DrainFront without votes to finish.
void Drain(net::HttpServer& server, ResultServerApi& api, results::ResultsHub& hub) {
  server.StopAccepting();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (server.in_flight() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  server.RefuseNewRequests();
  api.Shutdown();
  hub.Stop();
  server.Stop();
}

}  // namespace

int RunResultServer(const ResultsOptions& o) {
  std::pair<std::string, uint16_t> listen;
  try {
    listen = ParseListen(o.listen);
  } catch (const std::exception& e) {
    return ConfigError(std::string("--listen: ") + e.what());
  }
  if (o.dist.redis_url.empty()) {
    return ConfigError(
        "--redis / URNA_REDIS_URL is required: the Redis the processors publish to "
        "(redis://[[user]:password@]host[:port][/db])");
  }
  auto redis_url = redis::ParseRedisUrl(o.dist.redis_url);
  if (!redis_url.ok())
    return ConfigError("--redis / URNA_REDIS_URL: " + redis_url.status().message());
  if (auto s = o.dist.ValidateTablePrefix(); !s.ok()) return ConfigError(s.message());
  auto dynamo_config = dynamodb::DynamoConfig::FromEnvironment();
  if (!dynamo_config.ok()) return ConfigError(dynamo_config.status().message());
  sigset_t stop_signals = BlockStopSignals();

  auto dynamo = dynamodb::MakeCurlClient(*dynamo_config);
  if (!dynamo.ok()) {
    spdlog::critical("{}", dynamo.status().message());
    return 1;
  }
  auto catalog = dynamodb::DynamoCatalog::Open(**dynamo, o.dist.table_prefix);
  if (!catalog.ok()) {
    spdlog::critical("cannot load the elections: {}", catalog.status().message());
    return 1;
  }
  SystemClock clock;
  redis::TallyCacheOptions cache_options;
  cache_options.subscriber.refresh_every = o.redis_refresh;
  cache_options.stale_after = o.stale_after;
  redis::RedisTallyCache cache(*redis_url, clock, cache_options);
  results::HubOptions hub_options = o.hub;
  hub_options.heartbeat = o.http.stream_keepalive;
  results::ResultsHub hub(**catalog, cache, hub_options);
  cache.SetChangeListener([&hub] { hub.Wake(); });  // a change read from Redis goes out at once
  net::HttpServer* server_ptr = nullptr;
  const HttpMetrics* requests_ptr = nullptr;
  ResultServerApi api({**catalog, cache, hub, o.node_id,
                       [&] {
                         std::string m;
                         AddMetric(m, "urna_results_stale", "gauge", cache.stale() ? 1 : 0,
                                   "1 while the results served are stale (see /healthz)");
                         AddMetric(m, "urna_results_viewers", "gauge", hub.subscribers(),
                                   "Live result subscribers of the results hub");
                         AddHttpMetrics(m, server_ptr, requests_ptr);
                         AddBroadcastMetrics(m, hub);
                         return m;
                       },
                       [&]() -> std::string {
                         // The cache's own reason: Redis unreachable, or the write side
                         // down or lagging (each has its own fix).
                         std::string why = cache.stale_reason();
                         if (auto s = (*catalog)->last_refresh_error(); !s.ok()) {
                           why += (why.empty() ? "" : "; ") + ("elections: " + s.message());
                         }
                         return why;
                       },
                       o.load_wait, o.max_load_waiters, o.cors,
                       [&] { return (*catalog)->refreshes_begun(); },
                       [&] { return (*catalog)->refreshes_ended(); }, o.max_unknown_waiters});
  HttpMetrics requests(api.router());
  requests_ptr = &requests;
  net::HttpServerOptions http = o.http;
  http.observer = &requests;
  http.stream_period = o.hub.tick;  // the fan-out budget is per tick
  http.host = listen.first;
  http.port = listen.second;
  net::HttpServer server(http, api);
  server_ptr = &server;

  cache.Start();
  hub.Start();
  if (auto s = server.Start(); !s.ok()) {
    spdlog::critical(
        "{}{}", s.message(),
        o.http.reuse_port ? "" : " (several result servers on one port: --reuse-port)");
    api.Shutdown();
    hub.Stop();
    cache.Stop();
    return 1;
  }
  std::printf("urna results listening on %s (node %s, redis %s, tables %s*%s)\n",
              ServerUrl(listen.first, server.port()).c_str(), o.node_id.c_str(),
              redis_url->Redacted().c_str(), o.dist.table_prefix.c_str(),
              o.http.reuse_port ? ", port shared: --reuse-port" : "");
  std::fflush(stdout);
  LogConnectionCaps(server, o.http.max_connections);

  int sig = WaitStopSignal(stop_signals);
  spdlog::info("signal {}: draining", sig);
  Drain(server, api, hub);
  cache.Stop();
  return 0;
}

}  // namespace urna::app
