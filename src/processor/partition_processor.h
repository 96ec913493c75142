// PartitionProcessor: the write side's stream processor for one log partition (the role Kafka
// Streams plays). Reads the partition in order, decides each vote's fate (DecideVote), and
// commits ledger rows, receipts, tallies and the next offset atomically, then publishes the
// partition's absolute tallies to the read model. Exactly once: state and offset move together,
// so a replay after a crash starts after the last committed batch.
// Owned by the Processor; runs on its own thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>

#include "core/tally.h"
#include "ports/catalog.h"
#include "ports/processor_state.h"
#include "ports/read_model.h"
#include "ports/vote_log.h"

namespace urna {

struct ProcessorStats {
  std::atomic<uint64_t> counted{0}, duplicate{0}, rejected{0}, batches{0};
  std::atomic<uint64_t> next_offset{0};
};

class PartitionProcessor {
 public:
  PartitionProcessor(uint32_t partition, LogReader& log, ProcessorState& state, Catalog& catalog,
                     ReadModel& read_model, size_t max_batch = 4096);
  ~PartitionProcessor();

  void Start();
  // Stops after the batch in hand; blocks until the thread has exited.
  void Stop();
  // Processes what is available now, once (tests drive the processor with this).
  Status Step(std::chrono::milliseconds wait);

  const ProcessorStats& stats() const { return stats_; }

 private:
  Status Load();
  void Run();

  const uint32_t partition_;
  LogReader& log_;
  ProcessorState& state_;
  Catalog& catalog_;
  ReadModel& read_model_;
  const size_t max_batch_;

  bool loaded_ = false;
  PartitionTally tally_;  // absolute counts of this partition, as committed
  ProcessorStats stats_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace urna
