#include "processor/processor.h"

namespace urna {

Processor::Processor(uint32_t partitions, LogReader& log, ProcessorState& state, Catalog& catalog,
                     ReadModel& read_model) {
  for (uint32_t p = 0; p < partitions; ++p) {
    parts_.push_back(std::make_unique<PartitionProcessor>(p, log, state, catalog, read_model));
  }
}

void Processor::Start() {
  for (auto& p : parts_) p->Start();
}

void Processor::Stop() {
  for (auto& p : parts_) p->Stop();
}

ProcessorTotals Processor::totals() const {
  ProcessorTotals t;
  for (const auto& p : parts_) {
    const auto& s = p->stats();
    t.counted += s.counted;
    t.duplicate += s.duplicate;
    t.rejected += s.rejected;
    t.batches += s.batches;
    t.processed_offsets += s.next_offset;
  }
  return t;
}

}  // namespace urna
