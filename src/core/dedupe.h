// Dedupe: the rule that counts each voter's first votes in log order, as many as the election's
// votes_per_voter allows (1, N or unlimited), and marks the rest duplicates
// (docs/architecture.md §1 G2, §2). The one home of that rule: the live processor
// (processor/partition_processor.cc) and the recount's replay (audit/recount.cc) both decide
// through a VoteDedupe, so they cannot decide differently.
//
// How many votes of one voter count is the election's VotePolicy (VotePolicyOf: its
// votes_per_voter), a parameter of the rule: "one per voter" and "up to N per voter" are the
// same rule with another limit, not two rules. The rule counts votes per voter; it does not
// compare vote ids (each log entry is decided once; urna appends each vote_id once).
//
// Plain values, no I/O: the caller looks the batch's voters up in the voter index
// (ProcessorState::CountedVotes) and hands each answer in with its vote.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/election.h"
#include "core/vote.h"

namespace urna {

// How many votes of one voter an election counts: the first `max_per_voter` in log order
// (0 = no limit). Later ones are duplicates.
struct VotePolicy {
  uint32_t max_per_voter = 1;

  static constexpr VotePolicy OnePerVoter() { return VotePolicy{1}; }
  bool Unlimited() const { return max_per_voter == 0; }
  // Whether a voter with `counted` votes counted so far may have one more counted.
  bool AllowsAnother(uint64_t counted) const { return Unlimited() || counted < max_per_voter; }
};

// The policy of an election: its votes_per_voter (kUnlimitedVotes = 0 = no limit).
// `election` may be null (unknown to the catalog): such votes are rejected, one per voter.
inline VotePolicy VotePolicyOf(const Election* election) {
  return election == nullptr ? VotePolicy::OnePerVoter() : VotePolicy{election->votes_per_voter};
}

// What the voter index held for a voter before the votes being decided: how many of their votes
// count, and the first of them (the one a duplicate's receipt points to).
struct PriorVotes {
  uint64_t counted = 0;
  std::string first_vote_id;
};

// A vote's fate, with the vote that counts for the voter when it is a duplicate.
struct DedupeVerdict {
  Verdict verdict;
  // kDuplicate: the voter's first counted vote (empty when not known), valid until the
  // VoteDedupe is destroyed or cleared (it points into the VoteDedupe's arena).
  std::string_view counted_vote_id;
  // kCounted: the vote's number among its voter's counted votes, 1 for the first (where the
  // ledger keeps it: one row per counted vote). 0 otherwise.
  uint64_t ordinal = 0;
};

// Decides the votes of one partition in log order: a batch of the live processor, or the whole
// partition in the recount's replay. Remembers what it counted, so a voter's later vote in the
// same batch sees the earlier one. Owned by one caller on one thread (the processor keeps one per
// partition and clears it per batch; the replay one per thread, cleared per partition).
//
// How it remembers (dedupe.cc): a flat open-addressing table (boost::unordered_flat_set) of one
// 8-byte pointer per voter, to the voter's record in an arena of chunks that never move: votes
// counted, the first counted vote id (when kept), the election (an index into the elections
// seen) and the voter id's bytes. No heap node or key string per voter; voters are told apart
// by their full election and voter ids, never by a hash alone. Clear() forgets every voter but
// keeps the table's and the arena's memory.
class VoteDedupe {
 public:
  // `cite_counted_vote` false: a duplicate's counted_vote_id is left empty unless its prior said
  // it, and the first counted vote id of each voter is not kept (the recount's replay counts
  // fates only, over a whole partition of voters, and spares the memory).
  explicit VoteDedupe(bool cite_counted_vote = true);
  ~VoteDedupe();
  // A moved-from VoteDedupe may only be destroyed or assigned to.
  VoteDedupe(VoteDedupe&&) noexcept;
  VoteDedupe& operator=(VoteDedupe&&) noexcept;

  // The fate of `vote`, the next vote in log order. `prior` is what the voter index held for the
  // voter before the first vote given to this VoteDedupe (null: nothing counted); only its first
  // use per voter is read, later votes of the voter see what this VoteDedupe counted since.
  // `election` (null when the catalog does not know it) and `behind_seal` are DecideVote's;
  // `policy` is the election's (VotePolicyOf). A voter who has `policy.max_per_voter` votes
  // counted gets kDuplicate; a counted vote is remembered against that limit.
  DedupeVerdict Decide(const Election* election, const VoteEvent& vote, const PriorVotes* prior,
                       bool behind_seal, VotePolicy policy);
  // Room for `voters` distinct voters without rehashing (a processor batch's size; the
  // recount's replay knows a bound per partition). Never shrinks.
  void Reserve(size_t voters);
  // Forgets every voter, as a fresh VoteDedupe would (the counted_vote_ids handed out so far
  // become invalid), and keeps the memory for the next batch or partition.
  void Clear();
  // Distinct voters (per election) seen since construction or the last Clear().
  size_t voters() const;

 private:
  class Table;
  std::unique_ptr<Table> table_;
  bool cite_counted_vote_;
};

}  // namespace urna
