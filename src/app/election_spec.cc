#include "app/election_spec.h"

#include <string_view>

#include "app/json_util.h"
#include "app/strict_json.h"
#include "core/rfc3339.h"

namespace urna::app {
namespace json = boost::json;

namespace {

// Every key an election spec may carry; any other is a 400 naming it. Slices adding a field add
// its key here (votes_per_voter: policy; opens_at, closes_at: schedule).
constexpr std::string_view kElectionKeys[] = {
    "id",
    "title",
    "options",
    "results_visibility",
    "turnout_visibility",
    "bot_protection",
    "pow_max_number",
    "gateway_voters",
    "votes_per_voter",  // policy
    "opens_at",         // schedule
    "closes_at",        // schedule
};
constexpr std::string_view kOptionKeys[] = {"id", "label"};

// Reads {"id","title","options":[{"id","label"}],"results_visibility","turnout_visibility",
// "bot_protection","pow_max_number","gateway_voters","votes_per_voter","opens_at","closes_at"}
// into an Election.
Result<Election> ElectionFromJson(const json::object& o) {
  if (auto s = RejectUnknownFields(o, kElectionKeys); !s.ok()) return s;
  Election e;
  auto str = [&o](std::string_view key, std::string& out) -> Status {
    auto* v = o.if_contains(key);
    if (v == nullptr || !v->is_string()) {
      return Status(Code::kInvalidArgument, std::string(key) + " must be a string");
    }
    out = std::string(v->as_string());
    return Status::Ok();
  };
  if (auto s = str("id", e.id); !s.ok()) return s;
  if (auto s = str("title", e.title); !s.ok()) return s;
  auto* opts = o.if_contains("options");
  if (opts == nullptr || !opts->is_array()) {
    return Status(Code::kInvalidArgument, "options must be an array of {id, label}");
  }
  for (const auto& ov : opts->as_array()) {
    const auto* oo = ov.if_object();
    if (oo != nullptr) {
      std::string where = "options[" + std::to_string(e.options.size()) + "]: ";
      if (auto s = RejectUnknownFields(*oo, kOptionKeys, where); !s.ok()) return s;
    }
    const json::value* id = oo ? oo->if_contains("id") : nullptr;
    const json::value* label = oo ? oo->if_contains("label") : nullptr;
    if (!id || !label || !id->is_string() || !label->is_string()) {
      return Status(Code::kInvalidArgument,
                    "each option must be {\"id\": string, \"label\": string}");
    }
    e.options.push_back({std::string(id->as_string()), std::string(label->as_string())});
  }
  if (auto* vis = o.if_contains("results_visibility")) {
    auto parsed = vis->is_string() ? ParseResultsVisibility(vis->as_string()) : std::nullopt;
    if (!parsed) {
      return Status(Code::kInvalidArgument,
                    "results_visibility must be \"live\" or \"hidden_until_closed\"");
    }
    e.results_visibility = *parsed;
  }
  if (auto* bot = o.if_contains("bot_protection")) {
    auto parsed = bot->is_string() ? ParseBotProtection(bot->as_string()) : std::nullopt;
    if (!parsed)
      return Status(Code::kInvalidArgument, "bot_protection must be \"none\" or \"pow\"");
    e.bot_protection = *parsed;
    if (e.bot_protection == BotProtection::kPow) e.pow_max_number = kDefaultPowMaxNumber;
  }
  // null = not set, as ElectionJson renders it without proof of work (found by fuzz_election_spec).
  if (auto* max = o.if_contains("pow_max_number"); max != nullptr && !max->is_null()) {
    if (!max->is_uint64() && !(max->is_int64() && max->get_int64() >= 0)) {
      return Status(Code::kInvalidArgument, "pow_max_number must be an integer");
    }
    e.pow_max_number = max->to_number<uint64_t>();
  }
  // Turnout is hidden by default when results are; live results always show it.
  e.turnout_visibility = e.results_visibility == ResultsVisibility::kHiddenUntilClosed
                             ? TurnoutVisibility::kHidden
                             : TurnoutVisibility::kPublic;
  if (auto* tv = o.if_contains("turnout_visibility")) {
    auto parsed = tv->is_string() ? ParseTurnoutVisibility(tv->as_string()) : std::nullopt;
    if (!parsed) {
      return Status(Code::kInvalidArgument, "turnout_visibility must be \"hidden\" or \"public\"");
    }
    e.turnout_visibility = *parsed;
  }
  if (auto* gv = o.if_contains("gateway_voters")) {
    auto parsed = gv->is_string() ? ParseGatewayVoters(gv->as_string()) : std::nullopt;
    if (!parsed) {
      return Status(Code::kInvalidArgument, "gateway_voters must be \"namespaced\" or \"shared\"");
    }
    e.gateway_voters = *parsed;
  }
  // schedule: RFC 3339 times or null (not scheduled); ValidateSchedule checks them at create and
  // edit.
  for (auto [key, out] : {std::pair{"opens_at", &e.opens_at_ms}, {"closes_at", &e.closes_at_ms}}) {
    auto* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) continue;
    auto ms = v->is_string() ? ParseRfc3339Ms(v->as_string()) : std::nullopt;
    if (!ms) {
      return Status(
          Code::kInvalidArgument,
          std::string(key) + " must be an RFC 3339 time like \"2030-01-31T20:00:00Z\" (or null)");
    }
    *out = *ms;
  }
  // policy: votes_per_voter 1 | N | "unlimited" (ValidateNewElection checks the bounds).
  if (auto* vpv = o.if_contains("votes_per_voter"); vpv != nullptr && !vpv->is_null()) {
    if (vpv->is_string() && vpv->as_string() == "unlimited") {
      e.votes_per_voter = kUnlimitedVotes;
    } else if (const int64_t n = vpv->is_int64() ? vpv->get_int64() : 0;  // uint64: too large
               n >= 1 && n <= kMaxVotesPerVoter) {
      e.votes_per_voter = static_cast<uint32_t>(n);
    } else {
      return Status(Code::kInvalidArgument, "votes_per_voter must be an integer 1-" +
                                                std::to_string(kMaxVotesPerVoter) +
                                                " or \"unlimited\"");
    }
  }
  if (auto s = ValidateNewElection(e); !s.ok()) return s;
  return e;
}

}  // namespace

std::span<const std::string_view> ElectionSpecKeys() { return kElectionKeys; }

Result<Election> ParseElectionSpec(const std::string& body) {
  auto o = ParseObject(body);
  if (!o.ok()) return o.status();
  return ElectionFromJson(*o);
}

}  // namespace urna::app
