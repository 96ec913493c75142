// Vote routes: cast a vote, look up a receipt, fetch a proof-of-work challenge (docs/api.md).
#include "app/api.h"
#include "app/json_util.h"
#include "app/receipt_json.h"
#include "app/strict_json.h"
#include "core/snapshot.h"

namespace urna::app {
namespace json = boost::json;
namespace {

// An election with bot_protection "pow" takes a vote only with a solved, unused challenge in
// "altcha". Returns the answer to refuse with, or nothing to go on. Unknown elections go on
// (ingest answers 404).
std::optional<net::HttpResponse> CheckProofOfWork(Catalog& catalog, AltchaGuard* guard,
                                                  const std::string& election,
                                                  const json::object& body, int64_t now_s) {
  auto e = catalog.Get(election);
  if (!e.ok() || (*e)->bot_protection != BotProtection::kPow) return std::nullopt;
  const json::value* altcha = body.if_contains("altcha");
  if (altcha == nullptr || altcha->is_null()) {
    return net::ErrorResponse(400, "challenge_required",
                              "this election asks for proof of work: GET /v1/elections/" +
                                  election +
                                  "/challenge, solve it and send the solution as \"altcha\"");
  }
  if (!altcha->is_string()) {
    return net::ErrorResponse(400, "challenge_invalid", "altcha must be a base64 string");
  }
  if (guard == nullptr) return StatusResponse({Code::kUnavailable, "proof of work is not set up"});
  Status s = guard->Consume(altcha->as_string(), election, now_s);
  if (s.code() == Code::kInvalidArgument) {
    return net::ErrorResponse(400, "challenge_invalid", s.message());
  }
  if (!s.ok()) return StatusResponse(s);
  return std::nullopt;
}

}  // namespace

void Api::PostVote(Request& req, Params& p, Responder respond) {
  auto voter = Voter(req);
  if (!voter.ok()) return respond(StatusResponse(voter.status()));
  if (auto limited = LimitVoter(*voter)) return respond(std::move(*limited));
  auto body = ParseObject(req.body);
  if (!body.ok()) return respond(StatusResponse(body.status()));
  if (auto s = RejectUnknownFields(*body, {"option", "altcha"}); !s.ok()) {
    return respond(StatusResponse(s));
  }
  auto* option = body->if_contains("option");
  if (option == nullptr || !option->is_string()) {
    return respond(StatusResponse({Code::kInvalidArgument, "option must be a string"}));
  }
  std::string election = p[0];
  if (auto refused = CheckProofOfWork(deps_.catalog, deps_.altcha, election, *body,
                                      wall_clock_.NowMs() / 1000)) {
    return respond(std::move(*refused));
  }
  deps_.ingest.CastVote(election, *voter, option->as_string(),
                        [respond = std::move(respond), election](Result<std::string> r) {
                          if (!r.ok()) return respond(StatusResponse(r.status()));
                          net::HttpResponse res;
                          res.status = 202;
                          res.body = R"({"vote_id":")" + *r + R"(","status":"accepted"})";
                          res.headers.emplace_back("Location",
                                                   "/v1/elections/" + election + "/votes/" + *r);
                          respond(std::move(res));
                        });
}

void Api::GetReceipt(Request& req, Params& p, Responder respond) {
  auto voter = Voter(req);
  if (!voter.ok()) return respond(StatusResponse(voter.status()));
  OffThread(std::move(respond), [this, p = std::move(p), voter = std::move(*voter)] {
    auto r = deps_.ingest.LookupReceipt(deps_.ledger, p[0], p[1], voter);
    if (!r.ok() && r.status().code() == Code::kUnavailable) {
      // Not known yet either way (a long unprocessed tail, storage trouble): ask again.
      auto busy = net::ErrorResponse(503, "receipt_unavailable", r.status().message());
      busy.headers.emplace_back("Retry-After", "1");
      return busy;
    }
    if (!r.ok()) return StatusResponse(r.status());
    auto o = ReceiptJson(*r, deps_.catalog);
    if (!o.ok()) return StatusResponse(o.status());
    return JsonResponse(200, *o);
  });
}

void Api::GetChallenge(Request&, Params& p, Responder respond) {
  auto e = deps_.catalog.Get(p[0]);
  if (!e.ok()) return respond(StatusResponse(e.status()));
  if ((*e)->bot_protection != BotProtection::kPow) {
    return respond(net::ErrorResponse(404, "not_found",
                                      "election " + p[0] + " does not ask for proof of work"));
  }
  if (deps_.altcha == nullptr) {
    return respond(StatusResponse({Code::kUnavailable, "proof of work is not set up"}));
  }
  auto c = deps_.altcha->Create(p[0], (*e)->pow_max_number, wall_clock_.NowMs() / 1000);
  if (!c.ok()) return respond(StatusResponse(c.status()));
  auto r = JsonResponse(200, json::object{{"algorithm", c->algorithm},
                                          {"challenge", c->challenge},
                                          {"maxnumber", c->maxnumber},
                                          {"salt", c->salt},
                                          {"signature", c->signature}});
  r.headers.emplace_back("Cache-Control", "no-store");
  respond(std::move(r));
}

}  // namespace urna::app
