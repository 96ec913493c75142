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

// The processor's rule (docs/architecture.md §2, §5), decided by log order and never by a clock: a
// voter already counted in this election -> duplicate; election unknown -> rejected
// unknown_election; found behind the election's seal in its partition -> rejected election_closed;
// election never opened -> rejected election_not_open; option unknown -> rejected unknown_option;
// else counted. A vote is in the log only if ingest admitted it while the election was open, and
// the close's seal goes behind every vote admitted before it (ports/election_lifecycle.h), so the
// seal's place in the partition is what "before the close" means. The vote's ingest time is not
// consulted: a wall clock that stepped back must not turn a vote admitted before the close into a
// late one. The live processor and the recount's replay both call this with the same inputs for a
// vote (the catalog's election, whether the voter counted earlier in log order, whether the seal
// was passed), so they decide alike. `election` is null when the catalog does not know it.
Verdict DecideVote(const Election* election, const VoteEvent& vote, bool voter_already_counted,
                   bool behind_seal);

// Ingest's check, so a voter gets a clear answer at once: the election is open (its status, not
// a clock reading) and the option exists.
Status CheckVoteAdmissible(const Election& election, std::string_view option_id);

}  // namespace urna
