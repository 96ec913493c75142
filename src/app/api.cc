#include "app/api.h"

#include <boost/asio/post.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace urna::app {

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
                respond(net::Response(200, "text/plain; version=0.0.4", d_.metrics ? d_.metrics() : ""));
              });
}

Api::~Api() { Shutdown(); }

void Api::Shutdown() {
  pool_.join();
  recounts_.CancelAll();
}

void Api::OffThread(net::Responder respond, std::function<net::HttpResponse()> fn) {
  boost::asio::post(pool_, [respond = std::move(respond), fn = std::move(fn)] { respond(fn()); });
}

Result<std::string> Api::Voter(const net::HttpRequest& req) const {
  auto token = BearerToken(req.authorization);
  if (token.empty()) {
    return Status(Code::kUnauthenticated, "send Authorization: Bearer <voter token>");
  }
  return d_.voter_tokens.Verify(token, d_.clock.NowMs() / 1000);
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

}  // namespace urna::app
