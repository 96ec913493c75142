// Read model port: ready-made live tallies for the read side.
// Embedded: in process. Distributed: Redis (per-partition absolute tallies, offset fencing).
// Thread-safe. Failures here never stop voting (docs/architecture.md §1, G6).
#pragma once

#include <string_view>

#include "core/status.h"
#include "core/tally.h"

namespace urna {

class ReadModel {
 public:
  virtual ~ReadModel() = default;
  // Replaces the partition's counts for the elections in `update`, unless an update with a
  // higher or equal next_offset was already applied for that election and partition.
  virtual Status Apply(const PartitionTally& update) = 0;
  // The merged tally of an election (empty with seq 0 if nothing was counted yet).
  virtual Result<ElectionTally> Get(std::string_view election_id) = 0;
};

}  // namespace urna
