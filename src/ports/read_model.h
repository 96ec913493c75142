// Read model port: ready-made live tallies for the read side.
// Embedded: in process. Distributed: Redis (per-partition absolute tallies, offset fencing).
// Thread-safe. Failures here never stop voting (docs/architecture.md §1, G6).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string_view>

#include "core/status.h"
#include "core/tally.h"

namespace urna {

// How far a processor process is behind the durable log, per partition it processes now
// (docs/architecture.md §4, "stale"): lag_ms[p] = how long a durable vote of partition p may
// have waited uncounted, at most (PartitionProcessor::lag_ms).
struct WriteSideLag {
  uint32_t partitions = 0;             // the log's partition count (0: unknown)
  std::map<uint32_t, int64_t> lag_ms;  // partition -> lag, for the partitions processed here
};

class ReadModel {
 public:
  virtual ~ReadModel() = default;
  // Replaces the partition's counts for the elections in `update`, unless an update with a
  // higher or equal next_offset was already applied for that election and partition.
  virtual Status Apply(const PartitionTally& update) = 0;
  // The merged tally of an election (empty with seq 0 if nothing was counted yet).
  virtual Result<ElectionTally> Get(std::string_view election_id) = 0;
  // A running processor says how to ask it for its lag; empty when it stops (the call returns
  // only once no call of the old source is running). A read model read by other processes
  // (Redis) passes it on to them; the default ignores it.
  virtual void SetLagSource(std::function<WriteSideLag()> source) { (void)source; }
};

}  // namespace urna
