#include "core/election.h"

#include <algorithm>
#include <unordered_set>

#include "core/schedule_limits.h"

namespace urna {

std::string_view ToString(ElectionStatus s) {
  switch (s) {
    case ElectionStatus::kDraft:
      return "draft";
    case ElectionStatus::kOpen:
      return "open";
    case ElectionStatus::kClosed:
      return "closed";
    case ElectionStatus::kFinal:
      return "final";
  }
  return "draft";
}

std::optional<ElectionStatus> ParseElectionStatus(std::string_view s) {
  for (auto st : {ElectionStatus::kDraft, ElectionStatus::kOpen, ElectionStatus::kClosed,
                  ElectionStatus::kFinal}) {
    if (ToString(st) == s) return st;
  }
  return std::nullopt;
}

std::string_view ToString(ResultsVisibility v) {
  return v == ResultsVisibility::kLive ? "live" : "hidden_until_closed";
}

std::optional<ResultsVisibility> ParseResultsVisibility(std::string_view s) {
  if (s == "live") return ResultsVisibility::kLive;
  if (s == "hidden_until_closed") return ResultsVisibility::kHiddenUntilClosed;
  return std::nullopt;
}

std::string_view ToString(BotProtection b) { return b == BotProtection::kPow ? "pow" : "none"; }

std::optional<BotProtection> ParseBotProtection(std::string_view s) {
  if (s == "none") return BotProtection::kNone;
  if (s == "pow") return BotProtection::kPow;
  return std::nullopt;
}

std::string_view ToString(TurnoutVisibility v) {
  return v == TurnoutVisibility::kHidden ? "hidden" : "public";
}

std::optional<TurnoutVisibility> ParseTurnoutVisibility(std::string_view s) {
  if (s == "hidden") return TurnoutVisibility::kHidden;
  if (s == "public") return TurnoutVisibility::kPublic;
  return std::nullopt;
}

std::string_view ToString(GatewayVoters v) {
  return v == GatewayVoters::kShared ? "shared" : "namespaced";
}

std::optional<GatewayVoters> ParseGatewayVoters(std::string_view s) {
  if (s == "namespaced") return GatewayVoters::kNamespaced;
  if (s == "shared") return GatewayVoters::kShared;
  return std::nullopt;
}

const Option* Election::FindOption(std::string_view option_id) const {
  for (const auto& o : options) {
    if (o.id == option_id) return &o;
  }
  return nullptr;
}

bool Election::HidesTurnout() const {
  return results_visibility == ResultsVisibility::kHiddenUntilClosed &&
         turnout_visibility == TurnoutVisibility::kHidden && status != ElectionStatus::kFinal;
}

bool IsValidId(std::string_view id, size_t max_len) {
  if (id.empty() || id.size() > max_len || id == "." || id == "..") return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

Status ValidateNewElection(const Election& e) {
  if (!IsValidId(e.id)) {
    return {Code::kInvalidArgument,
            "id must be 1-64 characters of A-Z a-z 0-9 _ - . (and not \".\" or \"..\")"};
  }
  if (e.title.empty() || e.title.size() > 200) {
    return {Code::kInvalidArgument, "title must be 1-200 characters"};
  }
  if (e.options.empty() || e.options.size() > 100) {
    return {Code::kInvalidArgument, "options must hold 1-100 entries"};
  }
  std::unordered_set<std::string_view> seen;
  for (const auto& o : e.options) {
    if (!IsValidId(o.id)) {
      return {Code::kInvalidArgument,
              "option id must be 1-64 characters of A-Z a-z 0-9 _ - . (and not \".\" or \"..\")"};
    }
    if (IsFormulaLead(o.id[0])) {
      return {Code::kInvalidArgument, "option id must not start with = + - or @ (" + o.id +
                                          "): spreadsheets read such a CSV cell as a formula"};
    }
    if (o.label.empty() || o.label.size() > 200) {
      return {Code::kInvalidArgument, "option label must be 1-200 characters"};
    }
    if (!seen.insert(o.id).second) {
      return {Code::kInvalidArgument, "duplicate option id: " + o.id};
    }
  }
  if (e.bot_protection == BotProtection::kPow &&
      (e.pow_max_number < 1 || e.pow_max_number > kMaxPowMaxNumber)) {
    return {Code::kInvalidArgument, "pow_max_number must be 1-" + std::to_string(kMaxPowMaxNumber)};
  }
  if (e.bot_protection == BotProtection::kNone && e.pow_max_number != 0) {
    return {Code::kInvalidArgument, "pow_max_number needs bot_protection \"pow\""};
  }
  // policy: votes per voter.
  if (e.votes_per_voter > kMaxVotesPerVoter) {
    return {Code::kInvalidArgument,
            "votes_per_voter must be 1-" + std::to_string(kMaxVotesPerVoter) + " or \"unlimited\""};
  }
  if (e.votes_per_voter == kUnlimitedVotes && e.bot_protection != BotProtection::kPow) {
    return {Code::kInvalidArgument,
            "votes_per_voter \"unlimited\" needs bot_protection \"pow\" (each vote then costs a "
            "solved challenge)"};
  }
  if (e.turnout_visibility == TurnoutVisibility::kHidden &&
      e.results_visibility != ResultsVisibility::kHiddenUntilClosed) {
    return {Code::kInvalidArgument,
            "turnout_visibility \"hidden\" needs results_visibility \"hidden_until_closed\" "
            "(live results show the turnout)"};
  }
  return Status::Ok();
}

// schedule: also the limits of core/schedule_limits.h (a year ahead at most, a 1 s window).
Status ValidateSchedule(const Election& e, int64_t now_ms) {
  if (e.opens_at_ms < 0 || (e.opens_at_ms != 0 && e.opens_at_ms <= now_ms)) {
    return {Code::kInvalidArgument, "opens_at must be in the future"};
  }
  if (e.closes_at_ms < 0 || (e.closes_at_ms != 0 && e.closes_at_ms <= now_ms)) {
    return {Code::kInvalidArgument, "closes_at must be in the future"};
  }
  // Explicit limits (docs/api.md): a year ahead at most, a window of at least a second.
  if (e.opens_at_ms > now_ms + kMaxScheduleAheadMs) {
    return {Code::kInvalidArgument, "opens_at must be at most 366 days ahead"};
  }
  if (e.closes_at_ms > now_ms + kMaxScheduleAheadMs) {
    return {Code::kInvalidArgument, "closes_at must be at most 366 days ahead"};
  }
  if (e.opens_at_ms != 0 && e.closes_at_ms != 0 &&
      e.closes_at_ms - e.opens_at_ms < kMinVotingWindowMs) {
    return {Code::kInvalidArgument, "closes_at must be at least 1 s after opens_at"};
  }
  return Status::Ok();
}

bool IsFormulaLead(char c) {
  return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
}

Status OpenElection(Election& e, int64_t now_ms) {
  if (e.status == ElectionStatus::kOpen) return Status::Ok();
  if (e.status != ElectionStatus::kDraft) {
    return {Code::kConflict,
            "election is " + std::string(ToString(e.status)) + "; it cannot be reopened"};
  }
  // schedule: opened after its closes_at it would take no vote (the scheduler closes it at
  // once), so it is refused and the draft stays as it is, to be edited or deleted.
  if (e.closes_at_ms != 0 && now_ms >= e.closes_at_ms) {
    return {Code::kConflict,
            "closes_at has passed; the election can no longer be opened (edit its times or "
            "delete the draft)"};
  }
  e.status = ElectionStatus::kOpen;
  e.opened_at_ms = now_ms;
  return Status::Ok();
}

Status CloseElection(Election& e, int64_t now_ms) {
  if (e.status == ElectionStatus::kClosed || e.status == ElectionStatus::kFinal)
    return Status::Ok();
  if (e.status != ElectionStatus::kOpen) {
    return {Code::kConflict, "election is draft; open it before closing"};
  }
  e.status = ElectionStatus::kClosed;
  e.closed_at_ms = std::max(now_ms, e.opened_at_ms);  // ordered even if a clock stepped back
  return Status::Ok();
}

Status CheckClosedFor(const Election& e, std::string_view what) {
  if (e.status == ElectionStatus::kClosed || e.status == ElectionStatus::kFinal) {
    return Status::Ok();
  }
  return {Code::kConflict, "election is " + std::string(ToString(e.status)) + "; " +
                               std::string(what) + " needs it closed"};
}

Status FinalizeElection(Election& e, int64_t now_ms) {
  if (e.status == ElectionStatus::kFinal) return Status::Ok();
  if (e.status != ElectionStatus::kClosed) {
    return {Code::kConflict, "election is " + std::string(ToString(e.status)) + "; close it first"};
  }
  e.status = ElectionStatus::kFinal;
  e.finalized_at_ms = std::max(now_ms, e.closed_at_ms);
  return Status::Ok();
}

// --- admin ---------------------------------------------------------------------------------

Status EditDraftElection(Election& e, const Election& spec) {
  if (e.status != ElectionStatus::kDraft) {
    return {Code::kConflict,
            "election is " + std::string(ToString(e.status)) + "; only a draft can be edited"};
  }
  if (spec.id != e.id) return {Code::kInvalidArgument, "id cannot change (it is " + e.id + ")"};
  if (auto s = ValidateNewElection(spec); !s.ok()) return s;
  Election edited = spec;
  edited.status = e.status;
  edited.created_at_ms = e.created_at_ms;
  edited.opened_at_ms = edited.closed_at_ms = edited.finalized_at_ms = edited.archived_at_ms = 0;
  edited.catalog_version = e.catalog_version;
  e = std::move(edited);
  return Status::Ok();
}

Status CheckDeletable(const Election& e) {
  if (e.status == ElectionStatus::kDraft) return Status::Ok();
  return {Code::kConflict, "election is " + std::string(ToString(e.status)) +
                               "; only a draft can be deleted (archive a final one instead)"};
}

Status ArchiveElection(Election& e, int64_t now_ms) {
  if (e.status != ElectionStatus::kFinal) {
    return {Code::kConflict, "election is " + std::string(ToString(e.status)) +
                                 "; only a final election can be archived"};
  }
  if (e.archived_at_ms == 0) e.archived_at_ms = std::max(now_ms, e.finalized_at_ms);
  return Status::Ok();
}

}  // namespace urna
