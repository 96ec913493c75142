// LocalReadModel: the embedded deployment's read model, in process. Keeps each partition's
// absolute counts per election, fenced by offset, and the merged tally per election.
// `seq` of an election is the sum of the next offsets of the partitions that counted for it:
// it grows with every change and is derived from durable state, so it keeps growing across
// restarts. Owned by the app; thread-safe.
#pragma once

#include <map>
#include <string>

#include "ports/clock.h"
#include "ports/read_model.h"
#include "sync/mutex.h"

namespace urna::embedded {

class LocalReadModel final : public ReadModel {
 public:
  explicit LocalReadModel(const Clock& clock) : clock_(clock) {}

  Status Apply(const PartitionTally& update) override;
  Result<ElectionTally> Get(std::string_view election_id) override;

 private:
  struct PartitionCounts {
    uint64_t next_offset = 0;
    OptionCounts counts;
  };
  struct Entry {
    std::map<uint32_t, PartitionCounts> partitions;
    ElectionTally merged;
  };

  const Clock& clock_;
  Mutex mu_;
  std::map<std::string, Entry, std::less<>> elections_ GUARDED_BY(mu_);
};

}  // namespace urna::embedded
