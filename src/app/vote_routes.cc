// Vote routes: cast a vote, look up a receipt (docs/api.md).
#include "app/api.h"
#include "app/json_util.h"
#include "core/snapshot.h"

namespace urna::app {
namespace json = boost::json;

void Api::AddVoteRoutes() {
  router_.Add(
      "POST", "/v1/elections/{id}/votes",
      [this](net::HttpRequest& req, net::PathParams& p, net::Responder respond) {
        auto voter = Voter(req);
        if (!voter.ok()) return respond(StatusResponse(voter.status()));
        if (auto limited = LimitVoter(*voter)) return respond(std::move(*limited));
        auto body = ParseObject(req.body);
        if (!body.ok()) return respond(StatusResponse(body.status()));
        auto* option = body->if_contains("option");
        if (option == nullptr || !option->is_string()) {
          return respond(StatusResponse({Code::kInvalidArgument, "option must be a string"}));
        }
        std::string election = p[0];
        d_.ingest.CastVote(election, *voter, option->as_string(),
                           [respond = std::move(respond), election](Result<std::string> r) {
                             if (!r.ok()) return respond(StatusResponse(r.status()));
                             net::HttpResponse res;
                             res.status = 202;
                             res.body = R"({"vote_id":")" + *r + R"(","status":"accepted"})";
                             res.headers.emplace_back("Location",
                                                      "/v1/elections/" + election + "/votes/" + *r);
                             respond(std::move(res));
                           });
      });

  router_.Add("GET", "/v1/elections/{id}/votes/{vote_id}",
              [this](net::HttpRequest& req, net::PathParams& p, net::Responder respond) {
                auto voter = Voter(req);
                if (!voter.ok()) return respond(StatusResponse(voter.status()));
                OffThread(std::move(respond), [this, p = std::move(p), voter = std::move(*voter)] {
                  auto r = d_.ingest.LookupReceipt(d_.ledger, p[0], p[1], voter);
                  if (!r.ok()) return StatusResponse(r.status());
                  json::object o{{"vote_id", r->vote_id},
                                 {"election", r->election_id},
                                 {"option", r->option_id},
                                 {"status", ToString(r->outcome)},
                                 {"cast_at", TimeJson(r->ingest_time_ms)}};
                  if (r->outcome == Outcome::kRejected) o["reason"] = r->reason;
                  if (r->outcome == Outcome::kDuplicate) {
                    o["reason"] = "already_voted";
                    o["counted_vote_id"] = r->reason;
                  }
                  return JsonResponse(200, o);
                });
              });
}

}  // namespace urna::app
