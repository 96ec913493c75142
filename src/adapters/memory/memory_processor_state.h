// MemoryProcessorState: an in-memory ProcessorState (and the Ledger it writes) fake for unit
// tests of the processor and the recount. Commit can be made to fail to exercise the
// processor's retry path. Thread-safe.
#pragma once

#include <atomic>
#include <map>
#include <tuple>

#include "ports/ledger.h"
#include "ports/processor_state.h"
#include "sync/mutex.h"

namespace urna::memory {

class MemoryProcessorState final : public ProcessorState, public Ledger {
 public:
  std::atomic<bool> fail_commits{false};  // set from a test thread while workers run

  Result<uint64_t> NextOffset(uint32_t partition) override {
    MutexLock lock(mu_);
    return tallies_[partition].next_offset;
  }
  Result<PartitionState> Load(uint32_t partition) override {
    MutexLock lock(mu_);
    PartitionState st{tallies_[partition], sealed_[partition]};
    st.tally.partition = partition;
    return st;
  }
  // Commit is atomic here: no row of an uncommitted batch exists, `partition`/`from` not needed.
  Result<std::vector<PriorVotes>> CountedVotes(uint32_t /*partition*/, uint64_t /*from*/,
                                               const std::vector<VoterKey>& keys) override {
    MutexLock lock(mu_);
    std::vector<PriorVotes> out;
    for (const auto& k : keys) {
      auto it = ledger_.lower_bound({k.election_id, k.voter_id, 0});
      PriorVotes p;
      for (; it != ledger_.end() && std::get<0>(it->first) == k.election_id &&
             std::get<1>(it->first) == k.voter_id;
           ++it) {
        if (p.counted++ == 0) p.first_vote_id = it->second.vote_id;
        if (!k.many) break;
      }
      out.push_back(std::move(p));
    }
    return out;
  }
  Status Commit(const PartitionCommit& c) override {
    if (fail_commits) return Status(Code::kUnavailable, "state store down");
    MutexLock lock(mu_);
    for (const auto& v : c.votes) {
      const auto& e = v.entry.vote;
      Receipt r{e.vote_id, e.election_id, e.voter_id,       e.option_id,
                v.outcome, v.reason,      e.ingest_time_ms, v.counted_vote_id};
      if (v.outcome == Outcome::kCounted) ledger_[{e.election_id, e.voter_id, v.ordinal}] = r;
      receipts_[e.vote_id] = r;
      outcomes[e.vote_id] = v.outcome;
    }
    for (const auto& seal : c.seals) sealed_[c.partition][seal.election_id] = seal.closed_at_ms;
    auto& t = tallies_[c.partition];
    for (const auto& [e, counts] : c.tally.elections) t.elections[e] = counts;
    t.next_offset = c.next_offset;
    return Status::Ok();
  }

  // Ledger
  Result<std::optional<Receipt>> FindReceipt(std::string_view election, std::string_view voter,
                                             std::string_view vote_id) override {
    auto r = FindReceipt(vote_id);
    if (r->has_value() && ((*r)->election_id != election || (*r)->voter_id != voter)) {
      return std::optional<Receipt>();
    }
    return r;
  }
  // By vote id alone, for assertions.
  Result<std::optional<Receipt>> FindReceipt(std::string_view vote_id) {
    MutexLock lock(mu_);
    auto it = receipts_.find(std::string(vote_id));
    return it == receipts_.end() ? std::optional<Receipt>() : std::optional(it->second);
  }
  Result<std::optional<Receipt>> FindCountedReceipt(std::string_view election,
                                                    std::string_view voter) override {
    MutexLock lock(mu_);
    auto it = ledger_.find({std::string(election), std::string(voter), 1});
    return it == ledger_.end() ? std::optional<Receipt>() : std::optional(it->second);
  }
  Status ScanCounted(std::string_view election,
                     const std::function<bool(const Receipt&)>& fn) override {
    MutexLock lock(mu_);
    for (const auto& [key, r] : ledger_) {
      if (std::get<0>(key) == election && !fn(r)) break;
    }
    return Status::Ok();
  }

  // Overwrites a stored tally, as a corruption would.
  void SetTally(uint32_t partition, const std::string& election, const std::string& option,
                uint64_t n) {
    MutexLock lock(mu_);
    tallies_[partition].elections[election][option] = n;
  }

  std::map<std::string, Outcome> outcomes;  // vote_id -> fate, for assertions

 private:
  Mutex mu_;
  // (election, voter, ordinal) -> the counted vote: one row per counted vote.
  std::map<std::tuple<std::string, std::string, uint64_t>, Receipt> ledger_ GUARDED_BY(mu_);
  std::map<std::string, Receipt> receipts_ GUARDED_BY(mu_);
  std::map<uint32_t, PartitionTally> tallies_ GUARDED_BY(mu_);
  std::map<uint32_t, std::map<std::string, int64_t, std::less<>>> sealed_ GUARDED_BY(mu_);
};

}  // namespace urna::memory
