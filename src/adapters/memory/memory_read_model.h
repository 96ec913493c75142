// MemoryReadModel: an in-memory ReadModel fake for unit tests of the processor, the recount and
// the results hub. Apply keeps each partition's absolute counts per election, fenced by offset
// as the port asks, and Get merges them; `seq` grows with every applied change. Tests may set an
// election's tally outright (Set) and make Apply fail (fail_applies), as a read-model outage
// would. Thread-safe.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <string>

#include "ports/read_model.h"

namespace urna::memory {

class MemoryReadModel : public ReadModel {
 public:
  // While true, Apply changes nothing and returns kUnavailable.
  std::atomic<bool> fail_applies{false};

  Status Apply(const PartitionTally& update) override {
    if (fail_applies) return Status(Code::kUnavailable, "read model down");
    std::lock_guard lock(mu_);
    for (const auto& [election, counts] : update.elections) {
      Entry& e = elections_[election];
      auto [it, added] = e.partitions.try_emplace(update.partition);
      if (!added && it->second.next_offset >= update.next_offset) continue;  // older: fenced
      it->second = {update.next_offset, counts};
      e.merged.votes.clear();
      for (const auto& [p, part] : e.partitions) {
        for (const auto& [option, n] : part.counts) e.merged.votes[option] += n;
      }
      ++e.merged.seq;
    }
    return Status::Ok();
  }

  Result<ElectionTally> Get(std::string_view election_id) override {
    std::lock_guard lock(mu_);
    auto it = elections_.find(election_id);
    return it == elections_.end() ? ElectionTally{} : it->second.merged;
  }

  // Replaces what Get answers for the election until the next Apply that changes it.
  void Set(const std::string& election_id, ElectionTally tally) {
    std::lock_guard lock(mu_);
    elections_[election_id].merged = std::move(tally);
  }

  // The merged counts of an election (empty when none), for assertions.
  OptionCounts Votes(std::string_view election_id) {
    std::lock_guard lock(mu_);
    auto it = elections_.find(election_id);
    return it == elections_.end() ? OptionCounts{} : it->second.merged.votes;
  }

 private:
  struct PartitionCounts {
    uint64_t next_offset = 0;
    OptionCounts counts;
  };
  struct Entry {
    std::map<uint32_t, PartitionCounts> partitions;
    ElectionTally merged;
  };
  std::mutex mu_;
  std::map<std::string, Entry, std::less<>> elections_;
};

}  // namespace urna::memory
