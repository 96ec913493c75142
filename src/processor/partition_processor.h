// PartitionProcessor: the write side's stream processor for one log partition (the role Kafka
// Streams plays). Each Step reads a batch of the partition in order (Read), decides each vote's
// fate with the dedupe rule (core/dedupe.h: the voter index looked up for the batch at once,
// first vote wins, then DecideVote), commits ledger rows, receipts, tallies and the next offset
// (Commit: one atomic write embedded; in DynamoDB the offset moves last, conditional on the one
// the batch was read from, ports/processor_state.h), then publishes the partition's absolute
// tallies to the read model (Publish). Exactly once: a replay after a crash starts after the
// last committed batch and decides what it re-reads as before.
// Owned by the Processor; Step is called by one worker thread at a time.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/dedupe.h"
#include "core/tally.h"
#include "ports/catalog.h"
#include "ports/processor_state.h"
#include "ports/read_model.h"
#include "ports/vote_log.h"

namespace urna {

struct ProcessorStats {
  std::atomic<uint64_t> counted{0}, duplicate{0}, rejected{0}, batches{0};
  std::atomic<uint64_t> next_offset{0};
  // Steady-clock ms (SteadyNowMs) when the last read began after which the processor had counted
  // (committed and published) everything the log held at that moment (LogReader::KnownEndOffset;
  // without one, a read that returned less than a full batch): every entry durable before it is
  // in the results. Starts at the processor's construction (it knows nothing older).
  std::atomic<int64_t> caught_up_ms{0};
};

// Steady-clock milliseconds, the time base of ProcessorStats::caught_up_ms.
int64_t SteadyNowMs();

class PartitionProcessor {
 public:
  PartitionProcessor(uint32_t partition, LogReader& log, ProcessorState& state, Catalog& catalog,
                     ReadModel& read_model, size_t max_batch = 4096);

  // Loads the committed state and publishes the partition's tallies to the read model.
  // Step does this itself when needed; calling it first makes results complete at start-up.
  Status Load();

  // Processes one batch of what is available (waiting up to `wait` for some) and returns how
  // many log entries it processed. On error nothing of the batch is kept in memory: the next
  // Step reloads the committed state and tries again.
  Result<size_t> Step(std::chrono::milliseconds wait);

  const ProcessorStats& stats() const { return stats_; }
  // How long a durable entry of the partition may have waited uncounted, at most: now minus
  // caught_up_ms (docs/architecture.md §4, "stale"). The caller knows whether anything waits.
  int64_t lag_ms(int64_t now_ms = SteadyNowMs()) const {
    return std::max<int64_t>(0, now_ms - stats_.caught_up_ms.load(std::memory_order_relaxed));
  }

 private:
  // The batch's fates, seals and tallies, ready to commit. Counts into tally_ as it goes (only
  // Commit's success makes them the committed state) and records the seals it passes. Takes the
  // entries from the first on, as many as ProcessorState::MaxTallyEntriesPerBatch allows
  // (decided_ says how many).
  Result<PartitionCommit> Decide(std::vector<LogEntry> entries);
  // Commits the batch atomically; on failure marks the state for a reload.
  Status Commit(const PartitionCommit& commit);
  // Hands the partition's absolute tallies to the read model; a failure is logged (G6).
  void Publish(const PartitionTally& tally);

  const uint32_t partition_;
  LogReader& log_;
  ProcessorState& state_;
  Catalog& catalog_;
  ReadModel& read_model_;
  const size_t max_batch_;

  bool loaded_ = false;
  size_t decided_ = 0;    // entries the last Decide took
  PartitionTally tally_;  // absolute counts of this partition, as committed
  std::map<std::string, int64_t, std::less<>> sealed_;  // seals passed: election -> closed_at
  VoteDedupe dedupe_;  // the batch's: cleared by each Decide, its memory kept
  ProcessorStats stats_;
};

}  // namespace urna
