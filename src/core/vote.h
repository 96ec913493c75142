// Votes and their fates, and the rule that decides a vote's fate in log order.
// Plain value types and pure functions; used by ingest and the processor on any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/election.h"

namespace urna {

// A vote as appended to the log by ingest (mirrors urna.v1.VoteEvent).
struct VoteEvent {
  std::string vote_id;
  std::string election_id;
  std::string option_id;
  std::string voter_id;
  int64_t ingest_time_ms = 0;
  std::string ingest_node;
};

// Written into every log partition when an election closes (urna.v1.Seal).
struct SealMarker {
  std::string election_id;
  int64_t closed_at_ms = 0;
};

enum class Outcome { kPending, kCounted, kDuplicate, kRejected };
std::string_view ToString(Outcome o);

// Why a vote was rejected by the processor.
inline constexpr std::string_view kReasonUnknownElection = "unknown_election";
inline constexpr std::string_view kReasonElectionNotOpen = "election_not_open";
inline constexpr std::string_view kReasonUnknownOption = "unknown_option";
inline constexpr std::string_view kReasonElectionClosed = "election_closed";

struct Verdict {
  Outcome outcome;
  std::string_view reason;  // empty unless kRejected
};

// The processor's rule (DESIGN.md §2, §5): a voter already counted in this election ->
// duplicate; ingested at or after the close, or found after the election's seal in its
// partition -> rejected election_closed; election unknown or not open at ingest time, or option
// unknown -> rejected; else counted. `election` is null when the catalog does not know it.
Verdict DecideVote(const Election* election, const VoteEvent& vote, bool voter_already_counted,
                   bool sealed_in_partition = false);

// Ingest's early check, so a voter gets a clear answer at once (the processor re-checks).
Status CheckVoteAdmissible(const Election& election, std::string_view option_id, int64_t now_ms);

}  // namespace urna
