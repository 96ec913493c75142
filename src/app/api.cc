#include "app/api.h"

#include <boost/asio/post.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>

#include "app/backup.h"
#include "app/json_util.h"

namespace urna::app {
namespace {

// Rate limits run on a monotonic clock: a wall-clock step must not refill or drain budgets.
int64_t MonotonicNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

net::HttpResponse RateLimited(int64_t retry_after_s, std::string_view what) {
  auto r = net::ErrorResponse(429, "rate_limited",
                              "too many requests " + std::string(what) + "; retry after " +
                                  std::to_string(retry_after_s) + " s");
  r.headers.emplace_back("Retry-After", std::to_string(retry_after_s));
  return r;
}

}  // namespace

Api::Api(ApiDeps deps)
    : deps_(std::move(deps)),
      recounts_({deps_.catalog, deps_.log, deps_.reader, deps_.state, deps_.ledger, deps_.clock,
                 deps_.lifecycle, deps_.audit_key, deps_.export_buffer_rows}) {
  AddRoutes();
}

// The routes of docs/api.md, each to its named handler.
void Api::AddRoutes() {
  auto add = [this](const char* method, std::string_view pattern,
                    void (Api::*handler)(Request&, Params&, Responder)) {
    router_.Add(method, pattern, [this, handler](Request& req, Params& p, Responder respond) {
      (this->*handler)(req, p, std::move(respond));
    });
  };
  add("POST", "/v1/elections", &Api::PostElection);
  add("GET", "/v1/elections", &Api::GetElections);
  add("GET", "/v1/elections/{id}", &Api::GetElection);
  add("POST", "/v1/elections/{id}/open", &Api::PostOpen);
  add("POST", "/v1/elections/{id}/close", &Api::PostClose);
  add("PUT", "/v1/elections/{id}", &Api::PutElection);                               // admin
  add("DELETE", "/v1/elections/{id}", &Api::DeleteElection);                         // admin
  add("POST", "/v1/elections/{id}/archive", &Api::PostArchive);                      // admin
  add("GET", "/v1/admin/check", &Api::GetAdminCheck);                                // admin
  add("GET", "/v1/elections/{id}/results/export.csv", &Api::GetResultsExportCsv);    // public
  add("GET", "/v1/elections/{id}/results/export.json", &Api::GetResultsExportJson);  // public

  add("POST", "/v1/elections/{id}/votes", &Api::PostVote);
  add("GET", "/v1/elections/{id}/votes/{vote_id}", &Api::GetReceipt);
  add("GET", "/v1/elections/{id}/challenge", &Api::GetChallenge);
  add("POST", "/v1/elections/{id}/votes:batch", &Api::PostVoteBatch);
  add("POST", "/v1/gateways", &Api::PostGateway);
  add("DELETE", "/v1/gateways/{id}", &Api::DeleteGateway);

  add("POST", "/v1/elections/{id}/recount", &Api::PostRecount);
  add("GET", "/v1/elections/{id}/recount", &Api::GetRecount);
  add("GET", "/v1/elections/{id}/audit", &Api::GetAudit);
  add("GET", "/v1/elections/{id}/audit/report.html", &Api::GetAuditHtml);
  add("GET", "/v1/elections/{id}/audit/ledger.csv", &Api::GetLedgerCsv);

  add("GET", "/v1/elections/{id}/results", &Api::GetResults);
  add("HEAD", "/v1/elections/{id}/results", &Api::GetResults);  // the body left out by the server
  add("GET", "/v1/elections/{id}/results/stream", &Api::GetResultStream);
  add("GET", "/v1/elections/{id}/results/ws", &Api::GetResultWebSocket);

  add("GET", "/", &Api::GetIndexPage);
  add("GET", "/e/{id}", &Api::GetVotePage);
  add("GET", "/e/{id}/present", &Api::GetPresentPage);
  add("GET", "/admin", &Api::GetAdminPage);
  add("GET", "/static/{file}", &Api::GetStatic);
  add("GET", "/favicon.ico", &Api::GetFavicon);
  add("GET", "/v1/info", &Api::GetInfo);
  add("POST", "/v1/demo/token", &Api::PostDemoToken);

  add("GET", "/healthz", &Api::GetHealthz);
  add("GET", "/metrics", &Api::GetMetrics);
  add("POST", "/v1/admin/backup", &Api::PostBackup);
}

void Api::GetHealthz(Request&, Params&, Responder respond) {
  std::string problem = deps_.storage_problem ? deps_.storage_problem() : "";
  if (problem.empty()) {
    respond(net::Response(200, "application/json", R"({"status":"ok"})"));
    return;
  }
  boost::json::object o{{"status", "degraded"}, {"storage", problem}};
  respond(net::Response(503, "application/json", boost::json::serialize(o)));
}

void Api::GetMetrics(Request&, Params&, Responder respond) {
  std::string text = deps_.metrics ? deps_.metrics() : "";
  if (deps_.limits) text += deps_.limits->MetricsText();
  respond(net::Response(200, "text/plain; version=0.0.4", std::move(text)));
}

Api::~Api() { Shutdown(); }

void Api::Shutdown() {
  pool_.join();
  if (deps_.backups) deps_.backups->Stop();  // a running backup answers before the network stops
  recounts_.CancelAll();
  ledger_streams_.Stop();  // before the network threads stop: an export may still answer
}

void Api::OffThread(net::Responder respond, std::function<net::HttpResponse()> fn) {
  boost::asio::post(pool_, [respond = std::move(respond), fn = std::move(fn)] { respond(fn()); });
}

Result<std::string> Api::Voter(const net::HttpRequest& req) const {
  auto token = BearerToken(req.authorization);
  if (token.empty()) {
    return Status(Code::kUnauthenticated, "send Authorization: Bearer <voter token>");
  }
  return deps_.voter_tokens.Verify(token, wall_clock_.NowMs() / 1000);
}

Status Api::Admin(const net::HttpRequest& req) const {
  auto token = BearerToken(req.authorization);
  if (token.empty())
    return Status(Code::kUnauthenticated, "send Authorization: Bearer <admin token>");
  if (!AdminTokenMatches(deps_.admin_token, token)) {
    return Status(Code::kPermissionDenied, "this call needs the admin token");
  }
  return Status::Ok();
}

Result<std::shared_ptr<const Gateway>> Api::AuthenticateGateway(
    std::string_view authorization) const {
  auto token = BearerToken(authorization);
  if (token.empty()) {
    return Status(Code::kUnauthenticated, "send Authorization: Bearer <gateway secret>");
  }
  if (deps_.gateway_registry == nullptr) {
    return Status(Code::kUnauthenticated, "this server takes no gateways");
  }
  return deps_.gateway_registry->Authenticate(token);
}

std::optional<net::HttpResponse> Api::BatchBodyRefusal(std::string_view authorization) const {
  auto gateway = AuthenticateGateway(authorization);
  if (gateway.ok()) return std::nullopt;
  return StatusResponse(gateway.status());
}

std::optional<net::HttpResponse> Api::LimitVoter(const std::string& voter) {
  if (deps_.limits == nullptr) return std::nullopt;
  int64_t wait = deps_.limits->Voter(voter, MonotonicNs());
  if (wait == 0) return std::nullopt;
  return RateLimited(wait, "from this voter");
}

std::optional<net::HttpResponse> Api::LimitGateway(const std::string& gateway, int64_t votes) {
  if (deps_.limits == nullptr || votes == 0) return std::nullopt;
  int64_t wait = deps_.limits->Gateway(gateway, votes, MonotonicNs());
  if (wait == 0) return std::nullopt;
  return RateLimited(wait, "from this gateway");
}

void Api::Gate::Handle(net::HttpRequest req, net::Responder respond) {
  if (RequestLimits* limits = api_.deps_.limits) {
    // Requests made with the admin token count against that token, all others that reach the
    // write side or storage against their client address.
    auto token = BearerToken(req.authorization);
    int64_t wait = 0;
    const char* what = "";
    if (!token.empty() && AdminTokenMatches(api_.deps_.admin_token, token)) {
      wait = limits->Admin(token, MonotonicNs());
      what = "with this admin token";
    } else if (req.path.ends_with(":batch") && api_.deps_.gateway_registry != nullptr &&
               api_.deps_.gateway_registry->Authenticate(token).ok()) {
      // A trusted gateway speaks for many voters from one address: its batches are limited by
      // --batch-max-votes and each vote by its voter's limit, not by the address's.
    } else if (CountsAgainstAddress(req.method, req.path)) {
      wait = limits->Address(req.peer, req.x_forwarded_for, MonotonicNs());
      what = "from this address";
    }
    if (wait != 0) return respond(RateLimited(wait, what));
  }
  api_.deps_.cors.Handle(std::move(req), std::move(respond),
                         [this](net::HttpRequest r, net::Responder done) {
                           api_.router_.Handle(std::move(r), std::move(done));
                         });
}

}  // namespace urna::app
