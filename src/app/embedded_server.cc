#include "app/embedded_server.h"

#include <spdlog/spdlog.h>

#include <sys/stat.h>

#include <csignal>
#include <cstdio>
#include <stdexcept>
#include <thread>

#include "app/api.h"
#include "app/demo.h"
#include "app/embedded_stack.h"
#include "auth/secrets.h"
#include "lifecycle/local_lifecycle.h"
#include "net/connection_limiter.h"
#include "net/http_server.h"

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

std::string Metrics(const embedded::EmbeddedVoteLog& log, const Processor& processor,
                    const net::HttpServer* server, const embedded::StorageHealth& storage) {
  auto g = log.stats();
  auto t = processor.totals();
  std::string m;
  auto add = [&m](const char* name, const char* type, uint64_t v) {
    m += std::string("# TYPE ") + name + " " + type + "\n" + name + " " + std::to_string(v) + "\n";
  };
  add("urna_votes_durable_total", "counter", g.votes);
  add("urna_log_fsyncs_total", "counter", g.batches);
  add("urna_log_append_failures_total", "counter", g.failures);
  add("urna_votes_counted_total", "counter", t.counted);
  add("urna_votes_duplicate_total", "counter", t.duplicate);
  add("urna_votes_rejected_total", "counter", t.rejected);
  add("urna_processor_batches_total", "counter", t.batches);
  add("urna_processor_offsets", "gauge", t.processed_offsets);
  add("urna_http_in_flight", "gauge", server ? server->in_flight() : 0);
  auto h = storage.view();
  add("urna_storage_healthy", "gauge", h.healthy ? 1 : 0);
  add("urna_storage_errors_total", "counter", h.failures);
  add("urna_storage_recoveries_total", "counter", h.recoveries);
  if (server) {
    auto c = server->stats();
    add("urna_http_connections_open", "gauge", c.open);
    add("urna_http_connections_max", "gauge", c.max_connections);
    add("urna_http_connections_peak", "gauge", c.peak_open);
    add("urna_http_connections_refused_total", "counter", c.refused);
    add("urna_http_connections_idle_closed_total", "counter", c.idle_closed);
    add("urna_http_push_streams_open", "gauge", c.push_open);
    add("urna_http_push_streams_max", "gauge", c.max_push_streams);
    add("urna_http_push_streams_refused_total", "counter", c.push_refused);
    add("urna_http_accept_errors_total", "counter", c.accept_errors);
    // Where live-result messages were written: on the read-side threads, or (with
    // --stream-threads 0) on the network threads that serve votes.
    add("urna_stream_writes_read_side_total", "counter", c.push_writes_read_side);
    add("urna_stream_writes_network_total", "counter", c.push_writes_network);
  }
  return m;
}

}  // namespace

int RunEmbeddedServer(const ServeOptions& o) {
  auto [host, port] = ParseListen(o.listen);

  // Signals are taken by sigwait below; block them before any thread starts.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

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
  VoterTokens tokens(secrets.voter_secret, o.token_policy);
  auto limits = RequestLimits::Create(o.limits);
  if (!limits.ok()) {
    spdlog::critical("{}", limits.status().message());
    return 1;
  }
  AltchaGuard altcha(o.pow);
  net::HttpServer* server_ptr = nullptr;
  // One keep-alive interval for every stream: SSE comments (the hub) and WebSocket pings (net).
  results::HubOptions hub_options = o.hub;
  hub_options.heartbeat = o.http.stream_keepalive;
  results::ResultsHub hub(catalog, *st.read_model, hub_options);
  auto storage_problem = [&st]() -> std::string {  // for /healthz
    auto h = st.db->health().view();
    if (h.healthy) return "";
    return h.problem.empty() ? "storage is failing" : h.problem;
  };
  Api api(ApiDeps{catalog, ingest, lifecycle, log, log, *st.state, *st.ledger, *st.read_model, hub,
                  tokens, secrets.admin_token, secrets.audit_key, clock,
                  [&] { return Metrics(log, processor, server_ptr, st.db->health()); }, o.demo,
                  o.export_buffer_rows, &altcha, o.limits.enabled ? limits->get() : nullptr,
                  storage_problem});
  net::HttpServerOptions http = o.http;
  http.host = host;
  http.port = port;
  net::HttpServer server(http, api.handler());
  server_ptr = &server;

  if (o.demo) {
    if (auto s = EnsureDemoElection(catalog, lifecycle, clock.NowMs()); !s.ok()) {
      spdlog::critical("cannot create the demo election: {}", s.message());
      return 1;
    }
  }
  processor.Start();
  hub.Start();
  if (auto s = server.Start(); !s.ok()) {
    spdlog::critical("{}", s.message());
    processor.Stop();
    return 1;
  }
  std::string url = "http://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) +
                    ":" + std::to_string(server.port());
  std::printf("urna listening on %s (data dir %s, %u partitions)\n", url.c_str(),
              o.data_dir.c_str(), st.db->partitions());
  std::printf("pages: %s/ (vote: %s/e/<election>, admin: %s/admin)\n", url.c_str(), url.c_str(),
              url.c_str());
  if (o.demo) PrintDemoHelp(url, o.data_dir, secrets.admin_token);
  std::fflush(stdout);
  auto caps = server.stats();
  spdlog::info(
      "connections: at most {} open ({} of them live result streams); descriptor limit {}{}",
      caps.max_connections, caps.max_push_streams, net::FdLimit(),
      o.http.max_connections ? " (--max-connections)" : " minus a reserve for storage");
  if (caps.max_connections + 256 > net::FdLimit()) {
    spdlog::warn("--max-connections {} leaves under 256 of {} descriptors for storage",
                 caps.max_connections, net::FdLimit());
  }

  int sig = 0;
  sigwait(&stop_signals, &sig);
  spdlog::info("signal {}: draining", sig);
  // 1. No new connections; every answer from now on says Connection: close; connections
  //    waiting for a request (nothing of it read) are closed cleanly.
  server.StopAccepting();
  // 2. Every queued vote becomes durable (202) or failed (503); its answer is posted. Votes
  //    read from now on are answered 503 by the drained log.
  log.Drain();
  // 3. Let the answers go out (bounded).
  auto wait_idle = [&server](std::chrono::milliseconds bound) {
    auto deadline = std::chrono::steady_clock::now() + bound;
    while (server.in_flight() > 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  };
  wait_idle(std::chrono::seconds(2));
  // 4. Requests read from now on are answered 503 by the server, not handed to the services
  //    that stop next; those already handed over finish first.
  server.RefuseNewRequests();
  wait_idle(std::chrono::seconds(3));
  api.Shutdown();
  hub.Stop();
  // 5. Connections still answering or lingering get a grace period, then everything closes.
  server.Stop();
  processor.Stop();
  auto g = log.stats();
  spdlog::info("stopped: {} votes durable in {} fsyncs", g.votes, g.batches);
  return 0;
}

}  // namespace urna::app
