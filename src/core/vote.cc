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
                   bool behind_seal) {
  if (voter_already_counted) return {Outcome::kDuplicate, {}};
  if (election == nullptr) return {Outcome::kRejected, kReasonUnknownElection};
  if (behind_seal) return {Outcome::kRejected, kReasonElectionClosed};
  if (!election->WasOpened()) return {Outcome::kRejected, kReasonElectionNotOpen};
  if (election->FindOption(vote.option_id) == nullptr) {
    return {Outcome::kRejected, kReasonUnknownOption};
  }
  return {Outcome::kCounted, {}};
}

Status CheckVoteAdmissible(const Election& election, std::string_view option_id) {
  if (!election.AcceptsVotes()) {
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
