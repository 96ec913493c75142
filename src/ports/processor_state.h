// Processor state port: the voter index, per-partition tallies, receipts and consumed offsets,
// committed together so a crash can neither lose nor double-count a vote.
// Embedded: one RocksDB WriteBatch. Distributed: state store + changelog in a Kafka
// transaction with the offsets, ledger rows by conditional put.
// Each partition is used by one processor thread; different partitions may run in parallel.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tally.h"
#include "core/vote.h"
#include "ports/vote_log.h"

namespace urna {

struct VoterKey {
  std::string election_id;
  std::string voter_id;
  bool operator==(const VoterKey&) const = default;
};

// The fate of one log entry, as the processor decided it.
struct ProcessedVote {
  LogEntry entry;
  Outcome outcome = Outcome::kPending;
  std::string reason;           // kRejected: why (core/vote.h kReason*); empty otherwise
  std::string counted_vote_id;  // kDuplicate: the vote that counts for this voter
};

// Everything one processed batch of a partition changes.
struct PartitionCommit {
  uint32_t partition = 0;
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
  // The voter index, for a batch at once: for each key, the vote_id counted for that voter,
  // or nullopt when none is.
  virtual Result<std::vector<std::optional<std::string>>> CountedVoteIds(
      const std::vector<VoterKey>& keys) = 0;
  // Atomically: ledger rows of counted votes, receipts, seals, tallies, next offset.
  virtual Status Commit(const PartitionCommit& commit) = 0;
};

}  // namespace urna
