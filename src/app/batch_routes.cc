// Trusted gateway batches: POST /v1/elections/{id}/votes:batch (docs/api.md). Checks the
// gateway's secret (in memory) and each vote's fields on the network thread; then, on the API's
// pool (a storage read): looks the refs up (a stored one is answered with its vote whatever the
// election's state and the rate limits), charges each new vote to its voter's rate limit, hands
// the new votes to ingest as one group and answers 200 with one result per vote, in order, once
// every accepted one is durable.
#include <boost/asio/post.hpp>
#include <boost/json/serialize.hpp>

#include "app/api.h"
#include "app/json_util.h"
#include "app/strict_json.h"
#include "sync/home_thread.h"

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

// The 200 answer: per vote, in order, its own error (errors[i], when cast_at[i] is SIZE_MAX) or
// the result of the `cast_at[i]`th vote handed on. Nothing accepted and storage failing: a 503
// for the whole batch (retry it).
net::HttpResponse RenderBatch(const std::vector<std::string>& errors,
                              const std::vector<size_t>& cast_at,
                              const std::vector<Result<std::string>>& results) {
  bool any_accepted = false;
  Status unavailable;
  for (size_t i = 0; i < cast_at.size(); ++i) {
    if (cast_at[i] == SIZE_MAX) continue;
    const auto& v = results[cast_at[i]];
    if (v.ok()) any_accepted = true;
    if (v.status().code() == Code::kUnavailable) unavailable = v.status();
  }
  if (!any_accepted && !unavailable.ok()) return StatusResponse(unavailable);
  std::string out = R"({"results":[)";
  out.reserve(out.size() + errors.size() * 64);
  for (size_t i = 0; i < errors.size(); ++i) {
    if (i > 0) out += ',';
    if (cast_at[i] == SIZE_MAX) {
      out += errors[i];
      continue;
    }
    const auto& v = results[cast_at[i]];
    if (v.ok()) {
      out.append(R"({"vote_id":")").append(v.value()).append(R"(","status":"accepted"})");
    } else {
      out += ErrorEntry(v.status());
    }
  }
  out += "]}";
  return net::Response(200, "application/json", std::move(out));
}

}  // namespace

void Api::PostVoteBatch(Request& req, Params& p, Responder respond) {
  if (deps_.gateway_registry == nullptr) {
    return respond(net::ErrorResponse(404, "not_found", "this server takes no gateways"));
  }
  auto gateway = AuthenticateGateway(req.authorization);
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
  if (auto s = RejectUnknownFields(*body, {"votes"}); !s.ok()) return respond(StatusResponse(s));
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
    if (o != nullptr) {
      if (auto s = RejectUnknownFields(*o, {"voter", "option", "ref"}); !s.ok()) {
        errors[i] = ErrorEntry(s);
        continue;
      }
    }
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
    cast_at[i] = cast.size();
    cast.push_back({prefix + std::string(voter->as_string()), std::string(option->as_string()),
                    std::string(ref->as_string())});
  }
  if (cast.empty()) return respond(RenderBatch(errors, cast_at, {}));
  // The look-up of stored refs blocks: on the pool. The answer is rendered back on this network
  // thread (its HomeThread), where the log hands the batch's completion.
  boost::asio::post(pool_, [this, election, gateway = (*gateway)->id, cast = std::move(cast),
                            errors = std::move(errors), cast_at = std::move(cast_at),
                            respond = std::move(respond), home = HomeThread::Current()]() mutable {
    HomeThread::Scope scope(home);
    CastNewVotes(election, gateway, std::move(cast), std::move(errors), std::move(cast_at),
                 std::move(respond));
  });
}

void Api::CastNewVotes(const std::string& election, const std::string& gateway,
                       std::vector<BatchVote> cast, std::vector<std::string> errors,
                       std::vector<size_t> cast_at, Responder respond) {
  // Refs stored by earlier batches first: a retry is told its votes counted, even after the
  // close or past a rate limit.
  auto found = deps_.ingest.FindBatchRefs(election, gateway, cast);
  if (!found.ok()) return respond(StatusResponse(found.status()));
  std::vector<Result<std::string>> results = std::move(*found);
  bool any_stored = false;
  std::vector<size_t> fresh_at;  // index in `cast` of each vote handed to ingest
  std::vector<BatchVote> fresh;
  std::vector<size_t> pos(cast.size());  // the request position of each vote of `cast`
  for (size_t i = 0; i < cast_at.size(); ++i) {
    if (cast_at[i] != SIZE_MAX) pos[cast_at[i]] = i;
  }
  // The gateway's own limit, in new votes: over it, the new votes are refused, the stored ones
  // still answered.
  int64_t new_votes = 0;
  for (const auto& r : results) new_votes += r.ok() && r->empty();
  std::optional<net::HttpResponse> gateway_limited = LimitGateway(gateway, new_votes);
  for (size_t k = 0; k < cast.size(); ++k) {
    if (!results[k].ok() || !results[k]->empty()) {
      any_stored = true;
      continue;
    }
    if (gateway_limited) {
      errors[pos[k]] = gateway_limited->body;
      cast_at[pos[k]] = SIZE_MAX;
      continue;
    }
    if (auto limited = LimitVoter(cast[k].voter_id)) {
      errors[pos[k]] = std::move(limited->body);  // its own error: the 429 entry
      cast_at[pos[k]] = SIZE_MAX;
      continue;
    }
    fresh_at.push_back(k);
    fresh.push_back(std::move(cast[k]));
  }
  // Nothing of it stored before and the gateway over its limit: one 429 for the batch.
  if (gateway_limited && !any_stored) return respond(std::move(*gateway_limited));
  if (fresh.empty()) return respond(RenderBatch(errors, cast_at, results));
  deps_.ingest.CastBatch(
      election, gateway, std::move(fresh),
      [any_stored, results = std::move(results), fresh_at = std::move(fresh_at),
       errors = std::move(errors), cast_at = std::move(cast_at),
       respond = std::move(respond)](Result<std::vector<Result<std::string>>> r) mutable {
        // The whole batch refused (election not open, unknown): one answer, unless some of its
        // votes were stored before, which then are told so and the new ones get the error.
        if (!r.ok() && !any_stored) return respond(StatusResponse(r.status()));
        for (size_t j = 0; j < fresh_at.size(); ++j) {
          results[fresh_at[j]] = r.ok() ? std::move((*r)[j]) : Result<std::string>(r.status());
        }
        respond(RenderBatch(errors, cast_at, results));
      });
}

}  // namespace urna::app
