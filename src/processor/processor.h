// Processor: runs the PartitionProcessors of all log partitions on a few worker threads
// (partition p belongs to worker p % workers), so partitions are processed in parallel without
// a thread per partition. A worker that found little to do lingers a moment before polling
// again, so batches stay large and the threads do not wake for every fsync. Owned by the app.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "processor/partition_processor.h"

namespace urna {

struct ProcessorTotals {
  uint64_t counted = 0, duplicate = 0, rejected = 0, batches = 0, processed_offsets = 0;

  // Adds a partition's votes and batches (its offset is the caller's: a revoked partition's is
  // no longer this processor's).
  void AddCounts(const ProcessorStats& s) {
    counted += s.counted;
    duplicate += s.duplicate;
    rejected += s.rejected;
    batches += s.batches;
  }
};

struct ProcessorOptions {
  int workers = 2;
  std::chrono::milliseconds linger{5};  // pause after a round that found less than a full batch
  std::chrono::milliseconds idle_poll{20};
};

class Processor {
 public:
  Processor(uint32_t partitions, LogReader& log, ProcessorState& state, Catalog& catalog,
            ReadModel& read_model, ProcessorOptions options = {});
  ~Processor();
  // Restores every partition's committed tallies into the read model (so results are complete
  // before the first request), then starts the workers.
  void Start();
  // Stops after the batches in hand; joins the workers.
  void Stop();
  // Counts since start, summed over partitions; processed_offsets = sum of next offsets.
  ProcessorTotals totals() const;
  // Each partition's next offset to process, by partition (for lag in entries: /metrics).
  std::vector<uint64_t> NextOffsets() const;
  // The processor's lag (docs/architecture.md §4, "stale"): the largest, over the partitions
  // whose log end (LogReader::KnownEndOffset, in memory for the embedded log) is past the
  // processor's next offset, of PartitionProcessor::lag_ms; 0 when every durable entry is
  // counted. Any thread.
  int64_t LagMs() const;

 private:
  void Work(int worker);

  LogReader& log_;
  ProcessorOptions opts_;
  std::vector<std::unique_ptr<PartitionProcessor>> parts_;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
};

}  // namespace urna
