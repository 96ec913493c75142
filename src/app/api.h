// Api: the HTTP API of urna (docs/api.md). Puts every route on a Router, each to a named handler,
// and turns requests into calls on the services. Runs on the network threads and never blocks
// there: storage calls (elections created, opened and closed, receipt lookups) go to the blocking
// pool, votes to the log. Owned by the app.
#pragma once

#include <boost/asio/thread_pool.hpp>

#include <functional>
#include <optional>
#include <string>

#include "app/cors.h"
#include "app/ledger_stream.h"
#include "app/recount_jobs.h"
#include "audit/ledger_export.h"
#include "auth/altcha.h"
#include "auth/gateway_registry.h"
#include "auth/request_limits.h"
#include "auth/voter_tokens.h"
#include "ingest/ingest_service.h"
#include "net/router.h"
#include "ports/catalog.h"
#include "ports/clock.h"
#include "ports/election_lifecycle.h"
#include "ports/gateway_store.h"
#include "ports/ledger.h"
#include "ports/read_model.h"
#include "results/hub.h"

namespace urna::app {

class Backups;  // app/backup.h

struct ApiDeps {
  Catalog& catalog;
  IngestService& ingest;
  ElectionLifecycle& lifecycle;  // open, close + seal, finalize
  VoteLog& log;
  LogReader& reader;
  ProcessorState& state;
  Ledger& ledger;
  ReadModel& read_model;
  results::ResultsHub& hub;
  const VoterTokens& voter_tokens;
  std::string admin_token;
  std::string audit_key;
  const Clock& clock;
  std::function<std::string()> metrics;  // Prometheus text for GET /metrics
  bool demo = false;                     // --demo: the pages may mint voter tokens
  // Ledger export rows held in memory before spilling (--export-buffer-rows).
  size_t export_buffer_rows = LedgerExport::kDefaultBufferRows;
  AltchaGuard* altcha = nullptr;    // proof of work for bot_protection "pow" elections
  RequestLimits* limits = nullptr;  // rate limits; null = none (--no-rate-limits)
  // Why storage fails ("" when healthy): GET /healthz answers 503 degraded with it.
  std::function<std::string()> storage_problem;
  // Trusted gateways: where they are stored and the in-memory registry that authenticates
  // batches (both null: the gateway routes answer 404).
  GatewayStore* gateways = nullptr;
  GatewayRegistry* gateway_registry = nullptr;
  BatchLimits batch;  // max_body_bytes is enforced by the HTTP server (batch_body_bytes)
  // ops: online backups (`urna serve` only; null: POST /v1/admin/backup answers 404).
  Backups* backups = nullptr;
  CorsPolicy cors;  // cross-origin reads of the public read routes (none by default)
};

class Api {
 public:
  explicit Api(ApiDeps deps);
  ~Api();
  net::HttpHandler& handler() { return gate_; }
  // For HttpServerOptions::batch_body_refusal: nothing when `authorization` carries the secret
  // of a live gateway, else the answer PostVoteBatch gives that credential (401, or 403 for a
  // revoked gateway). In memory, no I/O; any thread.
  std::optional<net::HttpResponse> BatchBodyRefusal(std::string_view authorization) const;
  // The routes, for the per-route metrics (app/http_metrics.h).
  const net::Router& router() const { return router_; }
  // Waits for the storage calls and the backup in progress; call before stopping the HTTP
  // server.
  void Shutdown();

 private:
  using Request = net::HttpRequest;
  using Params = net::PathParams;
  using Responder = net::Responder;

  // Puts every route of docs/api.md on router_ (the table is in api.cc).
  void AddRoutes();

  // Route handlers, one named function each; they run on the network threads.
  // election_routes.cc
  void PostElection(Request& req, Params& p, Responder respond);
  void GetElections(Request& req, Params& p, Responder respond);
  void GetElection(Request& req, Params& p, Responder respond);
  void PostOpen(Request& req, Params& p, Responder respond);
  void PostClose(Request& req, Params& p, Responder respond);
  void PutElection(Request& req, Params& p, Responder respond);     // admin: edit a draft
  void DeleteElection(Request& req, Params& p, Responder respond);  // admin: delete a draft
  void PostArchive(Request& req, Params& p, Responder respond);     // admin: archive a final
  void GetAdminCheck(Request& req, Params& p, Responder respond);   // admin: is the token right
  // export_routes.cc (admin): the results as a download, CSV or JSON
  void GetResultsExportCsv(Request& req, Params& p, Responder respond);
  void GetResultsExportJson(Request& req, Params& p, Responder respond);
  // vote_routes.cc
  void PostVote(Request& req, Params& p, Responder respond);
  void GetReceipt(Request& req, Params& p, Responder respond);
  void GetChallenge(Request& req, Params& p, Responder respond);
  // gateway_routes.cc
  void PostGateway(Request& req, Params& p, Responder respond);
  void DeleteGateway(Request& req, Params& p, Responder respond);
  // batch_routes.cc
  void PostVoteBatch(Request& req, Params& p, Responder respond);
  // The pool's part of a batch (batch_routes.cc): ref look-up, voter limits, the cast.
  void CastNewVotes(const std::string& election, const std::string& gateway,
                    std::vector<BatchVote> cast, std::vector<std::string> errors,
                    std::vector<size_t> cast_at, Responder respond);
  // audit_routes.cc
  void PostRecount(Request& req, Params& p, Responder respond);
  void GetRecount(Request& req, Params& p, Responder respond);
  void GetAudit(Request& req, Params& p, Responder respond);
  void GetAuditHtml(Request& req, Params& p, Responder respond);
  void GetLedgerCsv(Request& req, Params& p, Responder respond);
  // result_routes.cc
  void GetResults(Request& req, Params& p, Responder respond);
  void GetResultStream(Request& req, Params& p, Responder respond);     // SSE
  void GetResultWebSocket(Request& req, Params& p, Responder respond);  // WebSocket
  void Subscribe(Request& req, Params& p, Responder respond, bool websocket);
  // web_routes.cc
  void GetIndexPage(Request& req, Params& p, Responder respond);
  void GetVotePage(Request& req, Params& p, Responder respond);
  void GetPresentPage(Request& req, Params& p, Responder respond);
  void ElectionPage(Request& req, Params& p, Responder respond, std::string_view file);
  void GetAdminPage(Request& req, Params& p, Responder respond);
  void GetStatic(Request& req, Params& p, Responder respond);
  void GetFavicon(Request& req, Params& p, Responder respond);
  void GetInfo(Request& req, Params& p, Responder respond);
  void PostDemoToken(Request& req, Params& p, Responder respond);
  // api.cc
  void GetHealthz(Request& req, Params& p, Responder respond);
  void GetMetrics(Request& req, Params& p, Responder respond);
  void PostBackup(Request& req, Params& p, Responder respond);  // backup_routes.cc

  // Runs `fn` on the blocking pool and answers with what it returns.
  void OffThread(net::Responder respond, std::function<net::HttpResponse()> fn);
  // The voter id of the request's bearer token, or the error to answer.
  Result<std::string> Voter(const net::HttpRequest& req) const;
  // Ok when the request carries the admin token.
  Status Admin(const net::HttpRequest& req) const;
  // A 429 when the voter is over its limit (counts the request otherwise).
  std::optional<net::HttpResponse> LimitVoter(const std::string& voter);
  // A gateway's batch of `votes` new votes against its limit (--gateway-rate); 429 when over.
  std::optional<net::HttpResponse> LimitGateway(const std::string& gateway, int64_t votes);
  // The live gateway whose secret `authorization` ("Bearer <secret>") carries: kUnauthenticated
  // without one, kPermissionDenied when it is revoked (GatewayRegistry::Authenticate).
  Result<std::shared_ptr<const Gateway>> AuthenticateGateway(std::string_view authorization) const;
  // The last finished recount's report of `election`, or why there is none.
  Result<RecountReport> LastReport(const std::string& election);

  // In front of the router: the per-address and per-admin-token rate limits, one place for
  // every route (docs/operations.md). Runs on the network threads.
  class Gate final : public net::HttpHandler {
   public:
    explicit Gate(Api& api) : api_(api) {}
    void Handle(net::HttpRequest request, net::Responder respond) override;

   private:
    Api& api_;
  };

  ApiDeps deps_;
  // Token lifetimes and proof-of-work expiry are judged by the wall clock as it is now:
  // deps_.clock never goes backwards (it stamps votes and closes), so after a forward step it
  // would stand ahead of the tokens' issuers for as long as the step was, and refuse their tokens.
  SystemClock wall_clock_;
  net::Router router_;
  Gate gate_{*this};
  RecountJobs recounts_;
  LedgerStreams ledger_streams_;  // its destructor cancels and joins running exports
  boost::asio::thread_pool pool_{2};
};

}  // namespace urna::app
