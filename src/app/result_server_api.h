// ResultServerApi: the HTTP face of `urna results` (docs/operations.md "Result servers"). It
// serves what viewers use — the result snapshot (ETag, 304), the live streams (SSE, WebSocket)
// with the same code and bytes as `urna serve` (app/result_routes.h), the elections as the
// catalog holds them, and the web pages — plus /healthz and /metrics. Every write or secret
// route (votes, receipts, administration, audit) answers 404 with a message that says this is
// a result server: it holds no secrets and takes no votes.
// A result server reads an election's tallies from Redis the first time someone asks for it
// (RedisTallyCache says "loading" until then): such a request waits, off the network threads,
// until the tallies are in or `load_wait` has passed, then is answered as usual.
// Owned by the results role; Handle runs on the network threads and never blocks; one thread
// of its own for the waits.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

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
};

class ResultServerApi final : public net::HttpHandler {
 public:
  explicit ResultServerApi(ResultServerDeps deps);
  ~ResultServerApi() override;  // Shutdown()

  void Handle(net::HttpRequest request, net::Responder respond) override;
  // Answers the requests still waiting for their tallies (as they stand) and stops the thread;
  // call before stopping the HTTP server.
  void Shutdown();

 private:
  using Request = net::HttpRequest;
  using Params = net::PathParams;
  using Responder = net::Responder;
  using Answer = std::function<net::HttpResponse()>;

  void AddRoutes();
  // Answers with `answer()` once the election's tallies are loaded (at once if they are), or
  // after load_wait.
  void WhenLoaded(const std::string& election_id, Responder respond, Answer answer);
  void GetHealthz(Request& req, Params& p, Responder respond);

  ResultServerDeps deps_;
  net::Router router_;
  struct Waits;  // the waiting thread and its timers (.cc)
  std::unique_ptr<Waits> waits_;
};

}  // namespace urna::app
