// Processor: runs one PartitionProcessor per log partition, each on its own thread, so
// partitions are processed in parallel. Owned by the app.
#pragma once

#include <memory>
#include <vector>

#include "processor/partition_processor.h"

namespace urna {

struct ProcessorTotals {
  uint64_t counted = 0, duplicate = 0, rejected = 0, batches = 0, processed_offsets = 0;
};

class Processor {
 public:
  Processor(uint32_t partitions, LogReader& log, ProcessorState& state, Catalog& catalog,
            ReadModel& read_model);
  void Start();
  void Stop();
  // Counts since start, summed over partitions; processed_offsets = sum of next offsets.
  ProcessorTotals totals() const;

 private:
  std::vector<std::unique_ptr<PartitionProcessor>> parts_;
};

}  // namespace urna
