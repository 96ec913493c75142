#include "core/dedupe.h"

namespace urna {

DedupeVerdict VoteDedupe::Decide(const Election* election, const VoteEvent& vote,
                                 const PriorVotes* prior, bool behind_seal, VotePolicy policy) {
  std::string key;
  key.reserve(vote.election_id.size() + 1 + vote.voter_id.size());
  key.append(vote.election_id).append(1, '\0').append(vote.voter_id);
  auto [it, first_seen] = voters_.try_emplace(std::move(key));
  PriorVotes& voter = it->second;
  if (first_seen && prior != nullptr) voter = *prior;

  DedupeVerdict out;
  out.verdict = DecideVote(election, vote, !policy.AllowsAnother(voter.counted), behind_seal);
  if (out.verdict.outcome == Outcome::kCounted) {
    if (voter.counted++ == 0 && cite_counted_vote_) voter.first_vote_id = vote.vote_id;
    out.ordinal = voter.counted;
  } else if (out.verdict.outcome == Outcome::kDuplicate) {
    out.counted_vote_id = voter.first_vote_id;  // a node of voters_: stable until destroyed
  }
  return out;
}

}  // namespace urna
