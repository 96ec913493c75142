#include "app/json_util.h"

#include <boost/json/serialize.hpp>

#include "app/strict_json.h"
#include "results/snapshot_json.h"

namespace urna::app {

namespace json = boost::json;

Result<json::object> ParseObject(const std::string& body) {
  if (body.empty()) return Status(Code::kInvalidArgument, "request body must be a JSON object");
  auto v = ParseStrictJson(body);  // refuses duplicate keys at any depth
  if (!v.ok()) return v.status();
  if (!v->is_object()) return Status(Code::kInvalidArgument, "request body must be a JSON object");
  return std::move(v->as_object());
}

json::value TimeJson(int64_t ms) {
  if (ms == 0) return nullptr;
  return json::string(results::FormatTime(ms));
}

json::object ElectionJson(const Election& e) {
  json::array options;
  for (const auto& o : e.options) options.push_back(json::object{{"id", o.id}, {"label", o.label}});
  json::value pow_max = nullptr;
  if (e.bot_protection == BotProtection::kPow) pow_max = e.pow_max_number;
  // policy: 1 | N | "unlimited".
  json::value votes_per_voter = e.votes_per_voter == kUnlimitedVotes
                                    ? json::value("unlimited")
                                    : json::value(e.votes_per_voter);
  return json::object{{"id", e.id},
                      {"title", e.title},
                      {"status", ToString(e.status)},
                      {"options", std::move(options)},
                      {"created_at", TimeJson(e.created_at_ms)},
                      {"opened_at", TimeJson(e.opened_at_ms)},
                      {"closed_at", TimeJson(e.closed_at_ms)},
                      {"finalized_at", TimeJson(e.finalized_at_ms)},
                      {"results_visibility", ToString(e.results_visibility)},
                      {"turnout_visibility", ToString(e.turnout_visibility)},
                      {"bot_protection", ToString(e.bot_protection)},
                      {"pow_max_number", std::move(pow_max)},
                      {"gateway_voters", ToString(e.gateway_voters)},
                      {"votes_per_voter", std::move(votes_per_voter)},  // policy
                      // schedule
                      {"opens_at", TimeJson(e.opens_at_ms)},
                      {"closes_at", TimeJson(e.closes_at_ms)},
                      {"archived_at", TimeJson(e.archived_at_ms)}};  // admin
}

net::HttpResponse JsonResponse(unsigned status, const json::value& v) {
  net::HttpResponse r;
  r.status = status;
  r.body = json::serialize(v);
  return r;
}

net::HttpResponse StatusResponse(const Status& s) {
  switch (s.code()) {
    case Code::kOk:
      return JsonResponse(200, json::object{});
    case Code::kInvalidArgument:
      return net::ErrorResponse(400, "invalid_request", s.message());
    case Code::kUnauthenticated: {
      // RFC 6750: a 401 names the scheme it wants (every credential of urna is a bearer token).
      auto r = net::ErrorResponse(401, "unauthorized", s.message());
      r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"urna\"");
      return r;
    }
    case Code::kPermissionDenied:
      return net::ErrorResponse(403, "forbidden", s.message());
    case Code::kNotFound:
      return net::ErrorResponse(404, "not_found", s.message());
    case Code::kNotOpen:
      return net::ErrorResponse(409, "election_not_open", s.message());
    case Code::kConflict:
      return net::ErrorResponse(409, "conflict", s.message());
    case Code::kUnknownOption:
      return net::ErrorResponse(422, "unknown_option", s.message());
    case Code::kUnavailable: {
      auto r = net::ErrorResponse(503, "unavailable", s.message());
      r.headers.emplace_back("Retry-After", "1");
      return r;
    }
    case Code::kInternal:
      break;
  }
  return net::ErrorResponse(500, "internal", s.message());
}

}  // namespace urna::app
