// MemoryReadModel: an in-memory ReadModel fake for unit tests of the processor, the recount and
// the results hub. Apply keeps each partition's absolute counts per election, fenced by offset
// as the port asks, and Get sums them; `seq` counts the applied changes. Tests may set an
// election's tally outright (Set) and make Apply fail (fail_applies), as a read-model outage
// would. Thread-safe.
#pragma once

#include <atomic>
#include <map>
#include <string>

#include "ports/read_model.h"
#include "sync/mutex.h"

namespace urna::memory {

class MemoryReadModel : public ReadModel {
 public:
  // While true, Apply changes nothing and returns kUnavailable.
  std::atomic<bool> fail_applies{false};

  Status Apply(const PartitionTally& update) override {
    if (fail_applies) return Status(Code::kUnavailable, "read model down");
    MutexLock lock(mu_);
    for (const auto& [election, counts] : update.elections) {
      auto& [next_offset, stored] = parts_[{election, update.partition}];
      if (next_offset != 0 && next_offset >= update.next_offset) continue;  // older: fenced
      next_offset = update.next_offset;
      stored = counts;
      ++seq_[election];
      set_.erase(election);
    }
    return Status::Ok();
  }

  Result<ElectionTally> Get(std::string_view election_id) override {
    MutexLock lock(mu_);
    std::string id(election_id);
    if (auto it = set_.find(id); it != set_.end()) return it->second;
    ElectionTally t;
    for (auto it = parts_.lower_bound({id, 0}); it != parts_.end() && it->first.first == id; ++it) {
      for (const auto& [option, n] : it->second.second) t.votes[option] += n;
    }
    t.seq = seq_[id];
    return t;
  }

  // Replaces what Get answers for the election until the next Apply that changes it.
  void Set(const std::string& election_id, ElectionTally tally) {
    MutexLock lock(mu_);
    set_[election_id] = std::move(tally);
  }

  // The merged counts of an election (empty when none), for assertions.
  OptionCounts Votes(std::string_view election_id) { return Get(election_id)->votes; }

 private:
  Mutex mu_;
  // (election, partition) -> the partition's last applied next_offset and absolute counts.
  std::map<std::pair<std::string, uint32_t>, std::pair<uint64_t, OptionCounts>> parts_
      GUARDED_BY(mu_);
  std::map<std::string, uint64_t> seq_ GUARDED_BY(mu_);  // applied changes per election
  std::map<std::string, ElectionTally> set_ GUARDED_BY(mu_);
};

}  // namespace urna::memory
