#include "core/vote.h"

namespace urna {

std::string_view ToString(Outcome o) {
  switch (o) {
    case Outcome::kPending:
      return "pending";
    case Outcome::kCounted:
      return "counted";
    case Outcome::kDuplicate:
      return "duplicate";
    case Outcome::kRejected:
      return "rejected";
  }
  return "pending";
}

Verdict DecideVote(const Election* election, const VoteEvent& vote, bool voter_already_counted,
                   bool sealed_in_partition) {
  if (voter_already_counted) return {Outcome::kDuplicate, {}};
  if (election == nullptr) return {Outcome::kRejected, kReasonUnknownElection};
  if (sealed_in_partition ||
      (election->closed_at_ms != 0 && vote.ingest_time_ms > election->closed_at_ms)) {
    return {Outcome::kRejected, kReasonElectionClosed};
  }
  if (!election->AcceptsVotesAt(vote.ingest_time_ms)) {
    return {Outcome::kRejected, kReasonElectionNotOpen};
  }
  if (election->FindOption(vote.option_id) == nullptr) {
    return {Outcome::kRejected, kReasonUnknownOption};
  }
  return {Outcome::kCounted, {}};
}

Status CheckVoteAdmissible(const Election& election, std::string_view option_id, int64_t now_ms) {
  if (election.status != ElectionStatus::kOpen || !election.AcceptsVotesAt(now_ms)) {
    return {Code::kNotOpen, "election " + election.id + " is " +
                                std::string(ToString(election.status)) + ", not open for votes"};
  }
  if (election.FindOption(option_id) == nullptr) {
    return {Code::kUnknownOption,
            "election " + election.id + " has no option '" + std::string(option_id) + "'"};
  }
  return Status::Ok();
}

}  // namespace urna
