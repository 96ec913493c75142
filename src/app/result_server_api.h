// ResultServerApi: the HTTP face of `urna results` (docs/operations.md "Result servers"). It
// serves what viewers use — the result snapshot (ETag, 304), the live streams (SSE, WebSocket)
// with the same code and bytes as `urna serve` (app/result_routes.h), the elections as the
// catalog holds them, and the web pages — plus /healthz and /metrics. Every write or secret
// route (votes, receipts, administration, audit) answers 404 with a message that says this is
// a result server: it holds no secrets and takes no votes.
// A result server reads an election's tallies from Redis the first time someone asks for it
// (RedisTallyCache says "loading" until then): such a request waits, off the network threads,
// until the tallies are in or `load_wait` has passed, then is answered as usual.
// A request for an election the catalog does not know (yet) waits the same way for the
// catalog's next refresh (ResultServerDeps::catalog_refreshes_*), then for its tallies.
// The waiting requests are kept per election, all answered when it loads (one check of the
// cache's memory every 10 ms per election waited for: the cache has no load callback) or one by
// one as their wait ends; at most `max_load_waiters`, and none once Shutdown began (503).
// Owned by the results role; Handle runs on the network threads and never blocks; one thread
// of its own for the waits, alive until the destructor.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "app/cors.h"
#include "net/router.h"
#include "ports/catalog.h"
#include "ports/read_model.h"
#include "results/hub.h"

namespace urna::app {

struct ResultServerDeps {
  Catalog& catalog;
  ReadModel& tallies;  // the hub's read model: answers from memory, kUnavailable while loading
  results::ResultsHub& hub;
  std::string node_id;                   // in /healthz, to tell result servers apart
  std::function<std::string()> metrics;  // Prometheus text for GET /metrics
  std::function<std::string()> problem;  // "" when healthy; else why results may be old
  std::chrono::milliseconds load_wait{3000};
  // Requests waiting for their election's first read at most; more get 503 at once (bounded
  // memory: each holds a connection's request and answer).
  size_t max_load_waiters = 10'000;
  CorsPolicy cors;  // cross-origin reads (none by default)
  // How far the catalog's memory has read the elections table (DynamoCatalog's refreshes_begun
  // and refreshes_ended). With both set, a request for an election the catalog does not know
  // waits until a refresh that began after it arrived has ended (an election just created by
  // another process: at most one refresh period and a Scan; a failed refresh ends the wait too),
  // or until load_wait, then is answered as usual: 404 if still unknown; if known by then, the
  // results routes wait for its tallies as any request does (within the same load_wait). No
  // read of its own per unknown id: random ids cost DynamoDB and Redis nothing. Unset: answered
  // at once.
  std::function<uint64_t()> catalog_refreshes_begun;
  std::function<uint64_t()> catalog_refreshes_ended;
  // Requests waiting for an unknown election at most (within max_load_waiters; 0: none waits);
  // past either bound, or once Shutdown began, such a request is answered at once as if no
  // refresh were awaited (404 unless known), so random ids never crowd out loads.
  size_t max_unknown_waiters = 1'000;
};

class ResultServerApi final : public net::HttpHandler {
 public:
  explicit ResultServerApi(ResultServerDeps deps);
  ~ResultServerApi() override;  // Shutdown()

  void Handle(net::HttpRequest request, net::Responder respond) override;
  // Answers the requests still waiting for their tallies (as they stand) and stops the thread;
  // requests arriving afterwards that would wait get 503 at once. Call before stopping the HTTP
  // server; idempotent.
  void Shutdown();
  // The routes, for the per-route metrics (app/http_metrics.h).
  const net::Router& router() const { return router_; }

 private:
  using Request = net::HttpRequest;
  using Params = net::PathParams;
  using Responder = net::Responder;
  using Answer = std::function<net::HttpResponse()>;

  void AddRoutes();
  // Answers with `answer()` once the catalog knows the election (see catalog_refreshes_*) and,
  // if `tallies`, its tallies are loaded (at once if both hold), or after load_wait; 503 at once
  // past max_load_waiters or after Shutdown.
  void WhenLoaded(const std::string& election_id, Responder respond, Answer answer,
                  bool tallies = true);
  bool Loading(const std::string& election_id);  // the cache has not read it yet
  void Poll(const std::string& election_id);     // the waits' thread
  void GetHealthz(Request& req, Params& p, Responder respond);

  ResultServerDeps deps_;
  net::Router router_;
  struct Waits;                         // the waiting thread, its timers and the waiters (.cc)
  const std::unique_ptr<Waits> waits_;  // until the destructor
};

}  // namespace urna::app
