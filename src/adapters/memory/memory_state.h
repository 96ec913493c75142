// MemoryProcessorState: an in-memory ProcessorState fake for processor unit tests. Commit can
// be made to fail to exercise the processor's retry path. Thread-safe.
#pragma once

#include <map>
#include <mutex>

#include "ports/processor_state.h"

namespace urna::memory {

class MemoryProcessorState final : public ProcessorState {
 public:
  bool fail_commits = false;

  Result<uint64_t> NextOffset(uint32_t partition) override {
    std::lock_guard lock(mu_);
    return tallies_[partition].next_offset;
  }
  Result<PartitionTally> LoadTally(uint32_t partition) override {
    std::lock_guard lock(mu_);
    auto t = tallies_[partition];
    t.partition = partition;
    return t;
  }
  Result<std::vector<std::optional<std::string>>> FindCounted(
      const std::vector<VoterKey>& keys) override {
    std::lock_guard lock(mu_);
    std::vector<std::optional<std::string>> out;
    for (const auto& k : keys) {
      auto it = ledger_.find({k.election_id, k.voter_id});
      out.push_back(it == ledger_.end() ? std::nullopt : std::optional(it->second));
    }
    return out;
  }
  Status Commit(const PartitionCommit& c) override {
    if (fail_commits) return Status(Code::kUnavailable, "state store down");
    std::lock_guard lock(mu_);
    for (const auto& v : c.votes) {
      if (v.outcome == Outcome::kCounted) {
        ledger_[{v.entry.vote.election_id, v.entry.vote.voter_id}] = v.entry.vote.vote_id;
      }
      outcomes[v.entry.vote.vote_id] = v.outcome;
    }
    auto& t = tallies_[c.partition];
    for (const auto& [e, counts] : c.tally.elections) t.elections[e] = counts;
    t.next_offset = c.next_offset;
    return Status::Ok();
  }

  std::map<std::string, Outcome> outcomes;  // vote_id -> fate, for assertions

 private:
  std::mutex mu_;
  std::map<std::pair<std::string, std::string>, std::string> ledger_;
  std::map<uint32_t, PartitionTally> tallies_;
};

}  // namespace urna::memory
