#include "app/process_http.h"

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <stdexcept>
#include <utility>

#include "adapters/redis/redis_read_model.h"
#include "app/embedded_server.h"
#include "app/http_metrics.h"
#include "app/json_util.h"
#include "app/metrics_text.h"
#include "app/serve_loop.h"
#include "net/http_server.h"
#include "net/router.h"
#include "processor/group_processor.h"

namespace urna::app {

struct ProcessHttp::Impl {
  std::string listen, node_id;
  const GroupProcessor& processor;
  LogReader& log;
  const redis::RedisReadModel* redis;
  net::Router router;
  std::unique_ptr<HttpMetrics> requests;
  std::unique_ptr<net::HttpServer> server;
  std::string host;
  // Above this lag (the oldest uncounted entry's wait), /healthz says "degraded".
  std::chrono::milliseconds max_lag = ProcessHttp::kMaxHealthyLag;

  std::string Metrics() const;
  net::HttpResponse Healthz() const;
};

std::string ProcessHttp::Impl::Metrics() const {
  MetricsText m;
  auto t = processor.totals();
  m.Counter("urna_votes_counted_total", "Votes counted by this processor since start", t.counted);
  m.Counter("urna_votes_duplicate_total",
            "Votes found duplicate (over the voter's limit) by this processor since start",
            t.duplicate);
  m.Counter("urna_votes_rejected_total",
            "Votes rejected (with a reason on the receipt) by this processor since start",
            t.rejected);
  m.Counter("urna_processor_batches_total", "Batches this processor committed since start",
            t.batches);
  auto next = processor.NextOffsets();
  m.Gauge("urna_processor_partitions",
          "Log partitions the consumer group assigns to this processor now",
          static_cast<double>(next.size()));
  // Per owned partition: a partition moves to another processor with a rebalance, and its
  // series moves with it (sum over the processors for the topic).
  m.Family("urna_log_end_offset", "gauge",
           "Log entries in the partition (Kafka's high watermark as this processor last fetched "
           "it)");
  std::map<uint32_t, uint64_t> end;
  for (const auto& [p, n] : next) {
    if (auto e = log.KnownEndOffset(p)) {
      end[p] = *e;
      m.Sample("urna_log_end_offset", {{"partition", std::to_string(p)}}, static_cast<double>(*e));
    }
  }
  m.Family("urna_processor_next_offset", "gauge",
           "The partition's next log entry this processor will count (entries before it are "
           "committed)");
  for (const auto& [p, n] : next) {
    m.Sample("urna_processor_next_offset", {{"partition", std::to_string(p)}},
             static_cast<double>(n));
  }
  m.Family("urna_processor_lag_entries", "gauge",
           "Log entries in the partition not yet processed (votes, seals: one unit)");
  for (const auto& [p, e] : end) {
    const uint64_t n = next.at(p);
    m.Sample("urna_processor_lag_entries", {{"partition", std::to_string(p)}},
             static_cast<double>(e > n ? e - n : 0));
  }
  int64_t lag_ms = 0;
  for (const auto& [p, ms] : processor.Lag().lag_ms) lag_ms = std::max(lag_ms, ms);
  m.Gauge("urna_processor_lag_seconds",
          "How long the oldest uncounted entry of this processor's partitions may have waited",
          static_cast<double>(lag_ms) / 1000.0);
  if (redis) {
    auto r = redis->publisher_stats();
    m.Gauge("urna_redis_connected", "1 while the tally publisher is connected to Redis",
            r.connected ? 1 : 0);
    m.Counter("urna_redis_connects_total", "Successful (re)connections to Redis", r.connects);
    m.Counter("urna_redis_failures_total", "Failed connects and broken Redis connections",
              r.failures);
    m.Counter("urna_redis_updates_applied_total", "Tally updates that changed Redis", r.applied);
    m.Counter("urna_redis_updates_fenced_total",
              "Tally updates Redis refused as older than what it holds (replays, re-sends)",
              r.fenced);
    m.Counter("urna_redis_refusals_total",
              "Round trips in which Redis refused an update (out of memory, read-only)",
              r.refusals);
    m.Counter("urna_redis_resends_total",
              "Full re-sends of the tallies (after a reconnect or a vanished marker)", r.resends);
    m.Counter("urna_redis_updates_dropped_total",
              "Tally updates dropped by the publisher's memory bound", r.dropped);
    m.Gauge("urna_redis_updates_pending", "(partition, election) tallies not yet in Redis",
            static_cast<double>(r.pending));
  }
  std::string text = m.Take();
  AddMetric(text, "urna_http_in_flight", "gauge", server ? server->in_flight() : 0,
            "Requests being handled (read, not yet answered)");
  if (requests) {
    MetricsText r;
    requests->Write(r);
    text += r.text();
  }
  return text;
}

net::HttpResponse ProcessHttp::Impl::Healthz() const {
  auto next = processor.NextOffsets();
  boost::json::array partitions;
  for (const auto& [p, n] : next) partitions.push_back(p);
  boost::json::object o{{"status", "ok"},
                        {"role", "process"},
                        {"node", node_id},
                        {"partitions", std::move(partitions)}};
  // Counting goes on without Redis (the checkpoints in DynamoDB are the truth); only the result
  // servers fall behind: 200, and the reason.
  if (redis && !redis->publisher_stats().connected) {
    o["status"] = "degraded";
    o["problem"] = "not connected to Redis: the result servers get no new tallies from here";
  }
  // Counting itself stuck or behind: also 200 (the process is alive and retries by itself),
  // with the reason; the last one found is named.
  int64_t lag_ms = 0;
  for (const auto& [p, ms] : processor.Lag().lag_ms) lag_ms = std::max(lag_ms, ms);
  if (lag_ms > max_lag.count()) {
    o["status"] = "degraded";
    o["problem"] = "counting is behind: the oldest uncounted entry waited " +
                   std::to_string(lag_ms / 1000) + " s (bound " +
                   std::to_string(max_lag.count() / 1000) + " s)";
  }
  if (auto failing = processor.Failing(); !failing.empty()) {
    o["status"] = "degraded";
    o["problem"] = "the last processing step of partition " + std::to_string(failing.front()) +
                   " failed (retrying; see the log)";
  }
  return JsonResponse(200, o);
}

ProcessHttp::ProcessHttp(std::string listen, std::string node_id, const GroupProcessor& processor,
                         LogReader& log, const redis::RedisReadModel* redis)
    : impl_(
          new Impl{std::move(listen), std::move(node_id), processor, log, redis, {}, {}, {}, {}}) {
  Impl& i = *impl_;
  i.router.Add("GET", "/metrics", [&i](net::HttpRequest&, net::PathParams&, net::Responder done) {
    done(net::Response(200, "text/plain; version=0.0.4", i.Metrics()));
  });
  i.router.Add("GET", "/healthz", [&i](net::HttpRequest&, net::PathParams&, net::Responder done) {
    done(i.Healthz());
  });
  i.requests = std::make_unique<HttpMetrics>(i.router);
}

ProcessHttp::~ProcessHttp() { Stop(); }

Status ProcessHttp::Start() {
  Impl& i = *impl_;
  std::pair<std::string, uint16_t> listen;
  try {
    listen = ParseListen(i.listen);
  } catch (const std::exception& e) {
    return Status(Code::kInvalidArgument, std::string("--metrics-listen: ") + e.what());
  }
  net::HttpServerOptions http;
  http.host = i.host = listen.first;
  http.port = listen.second;
  http.threads = 1;         // a scrape every few seconds
  http.stream_threads = 0;  // no live streams here
  // Monitoring only (docs/operations.md): a few scrapers and probes, no bodies worth reading.
  http.max_connections = kMaxConnections;
  http.max_body_bytes = kMaxBodyBytes;
  http.observer = i.requests.get();
  i.server = std::make_unique<net::HttpServer>(http, i.router);
  if (auto s = i.server->Start(); !s.ok()) {
    i.server.reset();
    return Status(Code::kUnavailable, "--metrics-listen " + i.listen + ": " + s.message());
  }
  return Status::Ok();
}

std::string ProcessHttp::url() const {
  return impl_->server ? ServerUrl(impl_->host, impl_->server->port()) : "";
}

void ProcessHttp::Stop() {
  if (!impl_->server) return;
  impl_->server->StopAccepting();
  impl_->server->RefuseNewRequests();
  impl_->server->Stop(std::chrono::milliseconds(1000));
  impl_->server.reset();
}

std::string ProcessHttp::Metrics() const { return impl_->Metrics(); }

}  // namespace urna::app
