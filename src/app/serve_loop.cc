#include "app/serve_loop.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>

#include "app/metrics_text.h"
#include "net/connection_limiter.h"

namespace urna::app {

sigset_t BlockStopSignals() {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  return stop_signals;
}

int WaitStopSignal(const sigset_t& signals) {
  int sig = 0;
  sigwait(&signals, &sig);
  return sig;
}

void DrainFront(net::HttpServer& server, VoteLog& log, Api& api, results::ResultsHub& hub) {
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
}

std::string ServerUrl(const std::string& host, uint16_t port) {
  return "http://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
         std::to_string(port);
}

void AddMetric(std::string& m, const char* name, const char* type, uint64_t value,
               const char* help) {
  MetricsText t;
  t.Family(name, type, help);
  t.Sample(name, {}, static_cast<double>(value));
  m += t.text();
}

void AddHttpMetrics(std::string& m, const net::HttpServer* server, const HttpMetrics* requests) {
  AddMetric(m, "urna_http_in_flight", "gauge", server ? server->in_flight() : 0,
            "Requests being handled (read, not yet answered)");
  if (!server) return;
  auto c = server->stats();
  AddMetric(m, "urna_http_connections_open", "gauge", c.open,
            "Open client connections, live result streams included");
  AddMetric(m, "urna_http_connections_max", "gauge", c.max_connections,
            "Open client connections at most (--max-connections)");
  AddMetric(m, "urna_http_connections_peak", "gauge", c.peak_open,
            "Most client connections open at once since start");
  AddMetric(m, "urna_http_connections_refused_total", "counter", c.refused,
            "Connections refused with 503 because --max-connections were open");
  AddMetric(m, "urna_http_connections_idle_closed_total", "counter", c.idle_closed,
            "Keep-alive connections closed for waiting too long for a request");
  AddMetric(m, "urna_http_push_streams_open", "gauge", c.push_open,
            "Live result streams open (SSE + WebSocket)");
  AddMetric(m, "urna_http_push_streams_max", "gauge", c.max_push_streams,
            "Live result streams at most (--max-viewers)");
  AddMetric(m, "urna_http_push_streams_refused_total", "counter", c.push_refused,
            "Live result streams refused with 503 because --max-viewers were open");
  AddMetric(m, "urna_http_accept_errors_total", "counter", c.accept_errors,
            "Errors accepting connections (e.g. out of descriptors)");
  AddMetric(m, "urna_http_accept_pauses_total", "counter", c.accept_pauses,
            "Times accepting paused because --max-first-requests connections were in their "
            "first request");
  AddMetric(m, "urna_http_first_request_timeouts_total", "counter", c.first_request_closed,
            "Connections closed while accepting was paused because they were in their first "
            "request for longer than --first-request-timeout");
  MetricsText t;
  t.Family("urna_viewers", "gauge", "Live result streams open, by protocol");
  t.Sample("urna_viewers", {{"protocol", "sse"}},
           static_cast<double>(c.push_open - std::min(c.push_open, c.push_open_websocket)));
  t.Sample("urna_viewers", {{"protocol", "websocket"}}, static_cast<double>(c.push_open_websocket));
  m += t.text();
  // Where live-result messages were written: on the read-side threads, or (with
  // --stream-threads 0) on the network threads that serve votes.
  AddMetric(m, "urna_stream_writes_read_side_total", "counter", c.push_writes_read_side,
            "Live result messages written on the read-side threads");
  AddMetric(m, "urna_stream_writes_network_total", "counter", c.push_writes_network,
            "Live result messages written on the network threads (--stream-threads 0)");
  AddMetric(m, "urna_stream_budget_exhausted_total", "counter", c.push_budget_exhausted,
            "Ticks whose read-side fan-out budget (--stream-budget-ms) ran out with viewers left");
  AddMetric(m, "urna_stream_deferred_total", "counter", c.push_deferred,
            "Viewers left for the next tick when the fan-out budget ran out (they get the newest "
            "snapshot then)");
  if (requests) {
    MetricsText r;
    requests->Write(r);
    m += r.text();
  }
}

namespace {

void AddHistogram(MetricsText& t, const char* name, const char* help,
                  const results::BroadcastStats::Histogram& h) {
  const auto& bounds = results::BroadcastStats::kBounds;
  const std::string n = name;
  t.Family(name, "histogram", help);
  for (size_t b = 0; b < bounds.size(); ++b) {
    char le[16];
    std::snprintf(le, sizeof le, "%g", bounds[b]);
    t.Sample(n + "_bucket", {{"le", le}}, static_cast<double>(h.cumulative[b]));
  }
  t.Sample(n + "_bucket", {{"le", "+Inf"}}, static_cast<double>(h.count));
  t.Sample(n + "_sum", {}, h.sum_seconds);
  t.Sample(n + "_count", {}, static_cast<double>(h.count));
}

}  // namespace

void AddBroadcastMetrics(std::string& m, const results::ResultsHub& hub) {
  const auto v = hub.broadcasts();
  MetricsText t;
  AddHistogram(t, "urna_broadcast_reach95_seconds",
               "Each live-results broadcast, from its tick's start until its copies handed to the "
               "kernel reached 95% of its viewers (server side only)",
               v.reach95);
  t.Family("urna_broadcast_unreached95_total", "counter",
           "Live-results broadcasts that ended without their copies handed to the kernel "
           "reaching 95% of their viewers (skipped for a newer snapshot, closed, or too slow)");
  t.Sample("urna_broadcast_unreached95_total", {}, static_cast<double>(v.unreached95));
  AddHistogram(t, "urna_broadcast_duration_seconds",
               "Each live-results broadcast, from its tick's start until the last viewer's copy "
               "was handed to the kernel or skipped for a newer one (server side only)",
               v.duration);
  t.Family("urna_broadcast_viewers_total", "counter",
           "Viewers of the broadcasts ended, by outcome: written (handed to the kernel), skipped "
           "(a newer snapshot replaced it first: latest wins), other (closed first, or a "
           "subscriber that reports nothing)");
  t.Sample("urna_broadcast_viewers_total", {{"outcome", "written"}},
           static_cast<double>(v.written));
  t.Sample("urna_broadcast_viewers_total", {{"outcome", "skipped"}},
           static_cast<double>(v.skipped));
  t.Sample("urna_broadcast_viewers_total", {{"outcome", "other"}}, static_cast<double>(v.other));
  m += t.text();
}

void LogConnectionCaps(const net::HttpServer& server, size_t max_connections_flag) {
  auto caps = server.stats();
  spdlog::info(
      "connections: at most {} open ({} of them live result streams); descriptor limit {}{}",
      caps.max_connections, caps.max_push_streams, net::FdLimit(),
      max_connections_flag ? " (--max-connections)" : " minus a reserve for storage");
  if (caps.max_connections + 256 > net::FdLimit()) {
    spdlog::warn("--max-connections {} leaves under 256 of {} descriptors for storage",
                 caps.max_connections, net::FdLimit());
  }
}

}  // namespace urna::app
