#include "app/api.h"

#include <boost/asio/post.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>

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
    : d_(std::move(deps)),
      recounts_({d_.catalog, d_.log, d_.reader, d_.state, d_.ledger, d_.clock, d_.audit_key}) {
  AddElectionRoutes();
  AddVoteRoutes();
  AddAuditRoutes();
  AddResultRoutes();
  AddWebRoutes();
  router_.Add("GET", "/healthz",
              [this](net::HttpRequest&, net::PathParams&, net::Responder respond) {
                std::string problem = d_.storage_problem ? d_.storage_problem() : "";
                if (problem.empty()) {
                  respond(net::Response(200, "application/json", R"({"status":"ok"})"));
                  return;
                }
                boost::json::object o{{"status", "degraded"}, {"storage", problem}};
                respond(net::Response(503, "application/json", boost::json::serialize(o)));
              });
  router_.Add("GET", "/metrics",
              [this](net::HttpRequest&, net::PathParams&, net::Responder respond) {
                std::string text = d_.metrics ? d_.metrics() : "";
                if (d_.limits) text += d_.limits->MetricsText();
                respond(net::Response(200, "text/plain; version=0.0.4", std::move(text)));
              });
}

Api::~Api() { Shutdown(); }

void Api::Shutdown() {
  pool_.join();
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
  return d_.voter_tokens.Verify(token, wall_clock_.NowMs() / 1000);
}

Status Api::Admin(const net::HttpRequest& req) const {
  auto token = BearerToken(req.authorization);
  if (token.empty())
    return Status(Code::kUnauthenticated, "send Authorization: Bearer <admin token>");
  if (!AdminTokenMatches(d_.admin_token, token)) {
    return Status(Code::kPermissionDenied, "this call needs the admin token");
  }
  return Status::Ok();
}

std::optional<net::HttpResponse> Api::LimitVoter(const std::string& voter) {
  if (d_.limits == nullptr) return std::nullopt;
  int64_t wait = d_.limits->Voter(voter, MonotonicNs());
  if (wait == 0) return std::nullopt;
  return RateLimited(wait, "from this voter");
}

void Api::Gate::Handle(net::HttpRequest req, net::Responder respond) {
  if (RequestLimits* limits = api_.d_.limits) {
    // Requests made with the admin token count against that token, all others that reach the
    // write side or storage against their client address.
    auto token = BearerToken(req.authorization);
    int64_t wait = 0;
    const char* what = "";
    if (!token.empty() && AdminTokenMatches(api_.d_.admin_token, token)) {
      wait = limits->Admin(token, MonotonicNs());
      what = "with this admin token";
    } else if (CountsAgainstAddress(req.method, req.path)) {
      wait = limits->Address(req.peer, req.x_forwarded_for, MonotonicNs());
      what = "from this address";
    }
    if (wait != 0) return respond(RateLimited(wait, what));
  }
  api_.router_.Handle(std::move(req), std::move(respond));
}

}  // namespace urna::app
