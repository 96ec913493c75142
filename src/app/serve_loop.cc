#include "app/serve_loop.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <thread>

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

void AddMetric(std::string& m, const char* name, const char* type, uint64_t value) {
  m +=
      std::string("# TYPE ") + name + " " + type + "\n" + name + " " + std::to_string(value) + "\n";
}

void AddHttpMetrics(std::string& m, const net::HttpServer* server) {
  AddMetric(m, "urna_http_in_flight", "gauge", server ? server->in_flight() : 0);
  if (!server) return;
  auto c = server->stats();
  AddMetric(m, "urna_http_connections_open", "gauge", c.open);
  AddMetric(m, "urna_http_connections_max", "gauge", c.max_connections);
  AddMetric(m, "urna_http_connections_peak", "gauge", c.peak_open);
  AddMetric(m, "urna_http_connections_refused_total", "counter", c.refused);
  AddMetric(m, "urna_http_connections_idle_closed_total", "counter", c.idle_closed);
  AddMetric(m, "urna_http_push_streams_open", "gauge", c.push_open);
  AddMetric(m, "urna_http_push_streams_max", "gauge", c.max_push_streams);
  AddMetric(m, "urna_http_push_streams_refused_total", "counter", c.push_refused);
  AddMetric(m, "urna_http_accept_errors_total", "counter", c.accept_errors);
  // Where live-result messages were written: on the read-side threads, or (with
  // --stream-threads 0) on the network threads that serve votes.
  AddMetric(m, "urna_stream_writes_read_side_total", "counter", c.push_writes_read_side);
  AddMetric(m, "urna_stream_writes_network_total", "counter", c.push_writes_network);
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
