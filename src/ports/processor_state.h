// Processor state port: the voter index, per-partition tallies, receipts and consumed offsets,
// committed so a crash can neither lose nor double-count a vote.
// Embedded: one RocksDB WriteBatch. Distributed (DynamoDB): ledger items by conditional put,
// receipts, then the partition's checkpoint (tallies, seals, next offset) conditional on the
// offset the batch started from: a batch's ledger items can exist without its checkpoint (a
// crash between the two), and another processor of the same partition (a zombie, or the new
// owner running ahead) can write ledger items of offsets this one has not committed yet.
// Each partition is used by one processor thread; different partitions may run in parallel.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/dedupe.h"
#include "core/status.h"
#include "core/tally.h"
#include "core/vote.h"
#include "ports/vote_log.h"

namespace urna {

struct VoterKey {
  std::string election_id;
  std::string voter_id;
  // The election counts more than one vote per voter (votes_per_voter != 1): the lookup must
  // say how many of the voter's votes count, not only whether one does.
  bool many = false;
  bool operator==(const VoterKey&) const = default;
};

// The fate of one log entry, as the processor decided it.
struct ProcessedVote {
  LogEntry entry;
  Outcome outcome = Outcome::kPending;
  std::string reason;           // kRejected: why (core/vote.h kReason*); empty otherwise
  std::string counted_vote_id;  // kDuplicate: the vote that counts for this voter
  // kCounted: its number among its voter's counted votes (1 = the first; DedupeVerdict::ordinal):
  // the voter's ledger row it takes. The ledger holds one row per counted vote.
  uint64_t ordinal = 1;
};

// Everything one processed batch of a partition changes.
struct PartitionCommit {
  uint32_t partition = 0;
  uint64_t from_offset = 0;          // the committed next offset the batch was read from
  uint64_t next_offset = 0;          // first offset not yet processed
  std::vector<ProcessedVote> votes;  // in log order
  std::vector<SealMarker> seals;     // seal markers passed in this batch
  PartitionTally tally;              // absolute counts of the elections the batch changed
};

// What a partition's processor resumes from.
struct PartitionState {
  PartitionTally tally;                                // all counts, with next_offset
  std::map<std::string, int64_t, std::less<>> sealed;  // election -> closed_at_ms
};

class ProcessorState {
 public:
  virtual ~ProcessorState() = default;
  virtual Result<uint64_t> NextOffset(uint32_t partition) = 0;
  // All absolute counts of a partition, with its next offset, and the seals it has passed.
  virtual Result<PartitionState> Load(uint32_t partition) = 0;
  // The voter index, for a batch of `partition` read from offset `from` (the committed next
  // offset), at once: for each key, what was counted for that voter before the batch (counted =
  // 0 when nothing; else the first counted vote's id and, for a key with `many`, how many of the
  // voter's votes count; without `many` counted is at least 1 when any does: the keys of one
  // voter in one election carry the same `many`). A ledger row this store knows was written for
  // `partition` at an offset >= `from` is not a prior vote: it is this batch's own row from an
  // attempt whose commit did not complete (a replay), or one written ahead by another processor
  // of the partition; the batch decides that vote again and counts it again (the same row,
  // idempotently), so a vote never becomes a duplicate of itself.
  virtual Result<std::vector<PriorVotes>> CountedVotes(uint32_t partition, uint64_t from,
                                                       const std::vector<VoterKey>& keys) = 0;
  // Ledger rows of counted votes, receipts, seals, tallies, next offset; the next offset moves
  // last. kConflict when the stored next offset is no longer `commit.from_offset` (another
  // processor committed, or a ledger row holds another vote of a voter counted here): nothing
  // of the batch is committed, the processor reloads and decides again.
  virtual Status Commit(const PartitionCommit& commit) = 0;
  // How many tally entries one commit may carry at most: each election the batch changes (its
  // counts or its seal) is one, and each option with counts in such an election's partition
  // tally is one more. The processor ends a batch early rather than pass it (a store whose
  // commit record has a size limit: DynamoDB's checkpoint item). Unlimited by default.
  virtual size_t MaxTallyEntriesPerBatch() const { return SIZE_MAX; }
};

}  // namespace urna
