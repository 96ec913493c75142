// Trusted gateway batches: POST /v1/elections/{id}/votes:batch (docs/api.md). Checks the
// gateway's secret (in memory), each vote's fields and its voter's rate limit on the network
// thread, then hands the good votes to ingest as one group and answers 200 with one result per
// vote, in order, once every accepted one is durable.
#include <boost/asio/post.hpp>
#include <boost/json/serialize.hpp>

#include "app/api.h"
#include "app/json_util.h"

namespace urna::app {
namespace json = boost::json;

namespace {

constexpr size_t kMaxRefLength = 128;

// A ref is the gateway's own id of a vote: 1-128 visible ASCII characters.
bool IsValidRef(std::string_view ref) {
  if (ref.empty() || ref.size() > kMaxRefLength) return false;
  for (char c : ref) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

// The per-vote error entry: the body of the error answer a single vote would get.
std::string ErrorEntry(const Status& s) { return StatusResponse(s).body; }

}  // namespace

void Api::PostVoteBatch(Request& req, Params& p, Responder respond) {
  if (deps_.gateway_registry == nullptr) {
    return respond(net::ErrorResponse(404, "not_found", "this server takes no gateways"));
  }
  auto token = BearerToken(req.authorization);
  if (token.empty()) {
    return respond(
        StatusResponse({Code::kUnauthenticated, "send Authorization: Bearer <gateway secret>"}));
  }
  auto gateway = deps_.gateway_registry->Authenticate(token);
  if (!gateway.ok()) return respond(StatusResponse(gateway.status()));
  const std::string election = p[0];
  if (!(*gateway)->MayVoteIn(election)) {
    return respond(
        StatusResponse({Code::kPermissionDenied,
                        "gateway " + (*gateway)->id + " may not vote in election " + election}));
  }
  auto e = deps_.catalog.Get(election);
  if (!e.ok()) return respond(StatusResponse(e.status()));
  const bool shared = (*e)->gateway_voters == GatewayVoters::kShared;

  auto body = ParseObject(req.body);
  if (!body.ok()) return respond(StatusResponse(body.status()));
  const json::value* votes = body->if_contains("votes");
  if (votes == nullptr || !votes->is_array() || votes->as_array().empty()) {
    return respond(
        StatusResponse({Code::kInvalidArgument, "votes must be a non-empty array of votes"}));
  }
  const json::array& items = votes->as_array();
  if (items.size() > deps_.batch.max_votes) {
    return respond(
        net::ErrorResponse(413, "payload_too_large",
                           "a batch holds at most " + std::to_string(deps_.batch.max_votes) +
                               " votes, this one " + std::to_string(items.size()) + ": split it"));
  }

  // Each vote: an error of its own now, or a place among those handed to ingest.
  std::vector<std::string> errors(items.size());
  std::vector<size_t> cast_at(items.size(), SIZE_MAX);
  std::vector<BatchVote> cast;
  cast.reserve(items.size());
  const std::string prefix = shared ? "" : "gw:" + (*gateway)->id + ":";
  for (size_t i = 0; i < items.size(); ++i) {
    const json::object* o = items[i].if_object();
    const json::value* voter = o ? o->if_contains("voter") : nullptr;
    const json::value* option = o ? o->if_contains("option") : nullptr;
    const json::value* ref = o ? o->if_contains("ref") : nullptr;
    if (voter == nullptr || option == nullptr || ref == nullptr || !voter->is_string() ||
        !option->is_string() || !ref->is_string()) {
      errors[i] = ErrorEntry({Code::kInvalidArgument,
                              "each vote must be {\"voter\": string, \"option\": string, "
                              "\"ref\": string}"});
      continue;
    }
    if (!IsValidId(voter->as_string(), 128)) {
      errors[i] = ErrorEntry({Code::kInvalidArgument,
                              "voter must be 1-128 characters of A-Z a-z 0-9 _ - . (not . or ..)"});
      continue;
    }
    if (!IsValidRef(ref->as_string())) {
      errors[i] = ErrorEntry(
          {Code::kInvalidArgument, "ref must be 1-128 visible ASCII characters (no spaces)"});
      continue;
    }
    std::string voter_id = prefix + std::string(voter->as_string());
    if (auto limited = LimitVoter(voter_id)) {
      errors[i] = std::move(limited->body);
      continue;
    }
    cast_at[i] = cast.size();
    cast.push_back(
        {std::move(voter_id), std::string(option->as_string()), std::string(ref->as_string())});
  }

  auto answer = [respond = std::move(respond), errors = std::move(errors),
                 cast_at = std::move(cast_at)](Result<std::vector<Result<std::string>>> r) mutable {
    if (!r.ok()) return respond(StatusResponse(r.status()));
    // Nothing accepted and storage failing: the batch as a whole is a 503 (retry it).
    bool any_accepted = false;
    Status unavailable;
    for (const auto& v : *r) {
      if (v.ok()) any_accepted = true;
      if (v.status().code() == Code::kUnavailable) unavailable = v.status();
    }
    if (!any_accepted && !unavailable.ok()) return respond(StatusResponse(unavailable));
    std::string out = R"({"results":[)";
    out.reserve(out.size() + errors.size() * 64);
    for (size_t i = 0; i < errors.size(); ++i) {
      if (i > 0) out += ',';
      if (cast_at[i] == SIZE_MAX) {
        out += errors[i];
        continue;
      }
      const auto& v = (*r)[cast_at[i]];
      if (v.ok()) {
        out.append(R"({"vote_id":")").append(v.value()).append(R"(","status":"accepted"})");
      } else {
        out += ErrorEntry(v.status());
      }
    }
    out += "]}";
    respond(net::Response(200, "application/json", std::move(out)));
  };
  if (cast.empty()) return answer(std::vector<Result<std::string>>());
  if (deps_.ingest.batch_blocks()) {  // distributed: the refs are read from DynamoDB first
    boost::asio::post(pool_, [this, election, gateway = (*gateway)->id, cast = std::move(cast),
                              answer = std::move(answer)]() mutable {
      deps_.ingest.CastBatch(election, gateway, std::move(cast), std::move(answer));
    });
    return;
  }
  deps_.ingest.CastBatch(election, (*gateway)->id, std::move(cast), std::move(answer));
}

}  // namespace urna::app
