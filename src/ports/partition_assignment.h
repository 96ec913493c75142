// Partition assignment port: which log partitions this processor process owns right now, when
// several share the work (docs/architecture.md §2). Distributed: a Kafka consumer group
// (adapters/kafka/kafka_log_reader.h), whose rebalances move partitions between processes.
// The group's committed offsets are progress reports for lag monitoring only: a processor
// resumes a partition from its checkpoint (ProcessorState), never from the group's offset.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "core/status.h"

namespace urna {

// Told of assignment changes, on the assignment's own thread, one call at a time.
class AssignmentListener {
 public:
  virtual ~AssignmentListener() = default;
  // `partitions` are now this process's. Returns where to start reading each (its
  // checkpoint's next offset); a partition left out starts at the log's beginning and is read
  // from wherever the processor asks (slower, never wrong). Called before they can be read.
  virtual std::map<uint32_t, uint64_t> OnAssigned(const std::vector<uint32_t>& partitions) = 0;
  // `partitions` are no longer this process's: returns once their processing has stopped
  // (after the batch in hand), or after a bound; another process may own them next.
  virtual void OnRevoked(const std::vector<uint32_t>& partitions) = 0;
};

class PartitionAssignment {
 public:
  virtual ~PartitionAssignment() = default;
  // Joins the group: from now on `listener` is told of every assignment change until
  // Unsubscribe. The listener must outlive the subscription.
  virtual Status Subscribe(AssignmentListener& listener) = 0;
  // Leaves the group: every partition still assigned is revoked (OnRevoked) first. Idempotent.
  virtual void Unsubscribe() = 0;
  // Reports that `partition` is processed up to `next_offset` (after its checkpoint), for lag
  // monitoring; asynchronous, best effort.
  virtual void CommitProgress(uint32_t partition, uint64_t next_offset) = 0;
  // The log's partition count, 0 if unknown (for WriteSideLag: a partition nobody processes).
  virtual uint32_t partitions() const { return 0; }
};

}  // namespace urna
