// EmbeddedProcessorState: the processor's state in the same RocksDB as the log. A batch's
// ledger rows, receipts, tallies and next offset go in one WriteBatch, so after a crash the
// processor resumes exactly where its last batch ended (docs/architecture.md §3). The ledger has
// one row per counted vote (LedgerRowKey): with votes_per_voter N, a voter's count is their rows,
// so it is exactly as durable as the offset. The receipt look-up (EmbeddedLedger) rests on this:
// every log entry below a partition's offset has its receipt here (a receipts row, or the
// voter's ledger row), and the log is never trimmed, so a vote not found below the offset is at
// or above it, still in the log.
// Owned by the app; thread-safe (each partition is committed by its own processor thread).
#pragma once

#include "adapters/embedded/db.h"
#include "ports/processor_state.h"

namespace urna::embedded {

class EmbeddedProcessorState final : public ProcessorState {
 public:
  explicit EmbeddedProcessorState(EmbeddedDb& db) : db_(db) {}

  Result<uint64_t> NextOffset(uint32_t partition) override;
  Result<PartitionState> Load(uint32_t partition) override;
  // `partition` and `from` are not needed here: a batch's rows and its offset are one atomic
  // write, so no row of an uncommitted batch ever exists. A voter's count is their last ledger
  // row's ordinal (LedgerRowKey), read only for keys with `many`: their rows have the ordinals
  // 1..count, probed by point look-ups for a few ordinals, then by a seek to the last row.
  Result<std::vector<PriorVotes>> CountedVotes(uint32_t partition, uint64_t from,
                                               const std::vector<VoterKey>& keys) override;
  Status Commit(const PartitionCommit& commit) override;

 private:
  EmbeddedDb& db_;
};

}  // namespace urna::embedded
