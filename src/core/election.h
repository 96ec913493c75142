// Election: the catalog entry voters vote in, and the rules for its life cycle.
// Plain value type; owned by the catalog, copied freely between threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace urna {

enum class ElectionStatus { kDraft, kOpen, kClosed, kFinal };

std::string_view ToString(ElectionStatus s);
std::optional<ElectionStatus> ParseElectionStatus(std::string_view s);

// Who sees per-option counts before the end: everyone (kLive), or nobody until the recount
// has made the result final (kHiddenUntilClosed; status and total stay visible).
enum class ResultsVisibility { kLive, kHiddenUntilClosed };
std::string_view ToString(ResultsVisibility v);
std::optional<ResultsVisibility> ParseResultsVisibility(std::string_view s);

// Bot defence asked of voters: none, or an ALTCHA proof of work with each vote (auth/altcha.h).
enum class BotProtection { kNone, kPow };
std::string_view ToString(BotProtection b);
std::optional<BotProtection> ParseBotProtection(std::string_view s);
// The default difficulty (ALTCHA's maxnumber): a solver tries 50,000 SHA-256 hashes on average.
inline constexpr uint64_t kDefaultPowMaxNumber = 100000;
inline constexpr uint64_t kMaxPowMaxNumber = 10000000;

// policy (issue 12 item 0): how many votes of one voter count, the first ones in log order.
// Election::votes_per_voter: 1 (the default), 2..kMaxVotesPerVoter, or kUnlimitedVotes (0,
// JSON "unlimited", which needs bot_protection "pow": each vote then costs a solved challenge).
inline constexpr uint32_t kUnlimitedVotes = 0;
inline constexpr uint32_t kMaxVotesPerVoter = 1000;

// Whether the number of votes counted (`total`, and anything that moves with it) is shown while
// per-option counts are hidden. Live results always show it (it is their sum); with
// kHiddenUntilClosed it is hidden unless the election says turnout is public.
enum class TurnoutVisibility { kHidden, kPublic };
std::string_view ToString(TurnoutVisibility v);
std::optional<TurnoutVisibility> ParseTurnoutVisibility(std::string_view s);

// Whose voters a trusted gateway's votes (POST .../votes:batch) are: its own (kNamespaced, the
// default: voter "v" of gateway "g" is "gw:g:v", never the same as a voter with a token), or the
// same voter space as voter tokens (kShared: the gateway speaks for voters who may also vote
// with a token, and the first vote of either counts).
enum class GatewayVoters { kNamespaced, kShared };
std::string_view ToString(GatewayVoters v);
std::optional<GatewayVoters> ParseGatewayVoters(std::string_view s);

struct Option {
  std::string id;
  std::string label;
};

struct Election {
  std::string id;
  std::string title;
  std::vector<Option> options;
  ElectionStatus status = ElectionStatus::kDraft;
  int64_t created_at_ms = 0;
  int64_t opened_at_ms = 0;     // 0 = never opened
  int64_t closed_at_ms = 0;     // 0 = not closed
  int64_t finalized_at_ms = 0;  // 0 = not final
  ResultsVisibility results_visibility = ResultsVisibility::kLive;
  BotProtection bot_protection = BotProtection::kNone;
  uint64_t pow_max_number = 0;  // with kPow: 1..kMaxPowMaxNumber
  TurnoutVisibility turnout_visibility = TurnoutVisibility::kPublic;  // kHidden: see above
  GatewayVoters gateway_voters = GatewayVoters::kNamespaced;
  // policy: votes counted per voter (1, N up to kMaxVotesPerVoter, or kUnlimitedVotes = 0).
  uint32_t votes_per_voter = 1;
  // schedule: when the server opens and closes the election by itself (lifecycle/scheduler.h),
  // Unix ms, 0 = not scheduled. Manual open/close still work; the scheduler acts only on an
  // election still in the status the time is for (a draft at opens_at, an open one at closes_at).
  int64_t opens_at_ms = 0;
  int64_t closes_at_ms = 0;
  // admin: when a final election was archived (hidden from the default list, still readable);
  // 0 = not archived.
  int64_t archived_at_ms = 0;
  // Not part of the election: which stored version of the entry this copy was read from, set by
  // a Catalog that checks it (ports/catalog.h: Update is a compare-and-set on it), 0 otherwise.
  uint64_t catalog_version = 0;

  const Option* FindOption(std::string_view option_id) const;
  // Whether ingest admits votes now: the election is open. Decided by the status alone, never by
  // comparing a vote's wall-clock time with opened_at or closed_at (clocks step backwards).
  bool AcceptsVotes() const { return status == ElectionStatus::kOpen; }
  // Whether the election has ever been open: a vote in the log can only count if so. When it was
  // open is not asked: ingest admitted the vote while open, and the seal marks the close.
  bool WasOpened() const { return status != ElectionStatus::kDraft; }
  // True while viewers may see neither per-option counts nor the turnout: results hidden,
  // turnout hidden, and the result not final yet.
  bool HidesTurnout() const;
};

// Ids of elections, options and voters: 1-64 chars of [A-Za-z0-9_.-] (voter ids up to 128),
// and neither "." nor ".." (they name directories in paths and URLs).
bool IsValidId(std::string_view id, size_t max_len = 64);

// Checks a new election: valid ids, title 1-200 chars, 1-100 options with unique ids and
// labels of 1-200 chars; an option id may not start with a character a spreadsheet reads as a
// formula (= + - @, see IsFormulaLead), since option ids are exported to CSV; a hidden turnout
// needs hidden results; pow_max_number 1-kMaxPowMaxNumber with kPow (0 without);
// votes_per_voter 1-kMaxVotesPerVoter, or kUnlimitedVotes with kPow only. Returns
// kInvalidArgument with a message naming the field.
Status ValidateNewElection(const Election& e);

// schedule: checks opens_at / closes_at of a new or edited election against `now_ms`: each set one
// in the future, closes_at after opens_at. kInvalidArgument naming the field.
Status ValidateSchedule(const Election& e, int64_t now_ms);

// True for a first character that makes a spreadsheet read a CSV cell as a formula:
// = + - @, tab and carriage return (OWASP "CSV injection").
bool IsFormulaLead(char c);

// Life cycle: draft -> open -> closed -> final (by a recount that agrees). Opening an open
// election or closing a closed one is a no-op; any other transition is kConflict. The times stay
// in that order even when `now_ms` is behind an earlier one (a clock read on another node or
// before a restart): closed_at is at least opened_at, finalized_at at least closed_at.
Status OpenElection(Election& e, int64_t now_ms);
Status CloseElection(Election& e, int64_t now_ms);
Status FinalizeElection(Election& e, int64_t now_ms);

// admin: the changes an operator makes besides the transitions.
// A draft's content (title, options, settings) may be replaced by `spec` (validated as a new
// election): id, status and created_at stay. kConflict unless `e` is a draft.
Status EditDraftElection(Election& e, const Election& spec);
// A draft may be deleted (it never took a vote); kConflict otherwise.
Status CheckDeletable(const Election& e);
// final -> archived (archived_at = now, at least finalized_at); archiving an archived election is
// a no-op. kConflict unless final.
Status ArchiveElection(Election& e, int64_t now_ms);

// What the recount and the ledger export need first: the election is closed (or final), so its
// log is sealed and its ledger no longer grows. kConflict "election is <status>; <what> needs it
// closed" for a draft or open election.
Status CheckClosedFor(const Election& e, std::string_view what);

}  // namespace urna
