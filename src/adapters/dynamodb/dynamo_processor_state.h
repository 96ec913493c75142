// DynamoProcessorState: the processor's state in DynamoDB (issue 9), exactly-once without
// transactions. A batch commits in three steps: (1) its counted votes' ledger items, each a
// conditional put (`attribute_not_exists(pk) OR vote_id = :v`: the first vote wins, a replay of
// the same vote passes), and, at the same time, its duplicate/rejected votes' receipt items
// (BatchWriteItem, the same bytes on a replay); then (2) the partition's checkpoint item (next
// offset and the batch's record: the absolute counts and seals of the elections the batch changed,
// nothing else), a conditional put on the stored next offset being the batch's from_offset; then
// (3) the roll forward: those elections' tally items (dynamo_tallies.h) brought up to the
// checkpoint, fenced by its offset. The checkpoint is the commit point; (3) is redone by whoever
// finds a checkpoint whose tallies it has not applied itself (Load, or a commit on a base it did
// not write), and always before the next checkpoint can be written, so items are never ahead of
// and never more than one batch behind their checkpoint.
// A crash between (1) and (2) leaves ledger items of a batch not checkpointed: the replay finds
// them and must count those votes again, so CountedVotes reports a ledger item written for the
// same partition at an offset >= the batch's start as "nothing counted before" (the items carry
// their partition and offset). A zombie (or a replay behind the stored offset) writes only items
// identical to those already there, then fails its checkpoint (kConflict: reload, never
// overwrite); its late roll forward of an old checkpoint is refused by the items' fence. A
// checkpoint put retried after a lost response finds its own write: success.
// policy (votes_per_voter N): one ledger item per counted vote, the voter's k-th under sort key
// LedgerSortKey(voter, k); a voter's count is the ordinal of their last row before the batch
// (CountLaterVotes), so it is exactly as committed as the rows, with the same replay rule.
// The checkpoint's correctness needs decisions to be deterministic for the same log and catalog
// (core/dedupe.h), as the recount's does. Tables: StateTables (dynamo_state_tables.h).
// Owned by `urna process`; thread-safe (one processor thread per partition); blocking.
#pragma once

#include <atomic>
#include <map>
#include <string>
#include <unordered_map>

#include "adapters/dynamodb/dynamo_client.h"
#include "adapters/dynamodb/dynamo_state_tables.h"
#include "ports/clock.h"
#include "ports/processor_state.h"
#include "sync/mutex.h"

namespace urna::dynamodb {

namespace items {
struct Checkpoint;
}

class DynamoProcessorState final : public ProcessorState {
 public:
  // `client` (and `clock`, which stamps each checkpoint's `at`: when its counts changed; null =
  // the system clock) must outlive this.
  DynamoProcessorState(DynamoClient& client, StateTables tables, const Clock* clock = nullptr);
  ~DynamoProcessorState() override;

  Result<uint64_t> NextOffset(uint32_t partition) override;
  Result<PartitionState> Load(uint32_t partition) override;
  Result<std::vector<PriorVotes>> CountedVotes(uint32_t partition, uint64_t from,
                                               const std::vector<VoterKey>& keys) override;
  Status Commit(const PartitionCommit& commit) override;
  size_t MaxTallyEntriesPerBatch() const override;

  // Commits refused because their checkpoint item would have been over
  // StateTables::max_checkpoint_bytes, and the largest checkpoint item written (bytes of JSON).
  uint64_t oversized_checkpoints() const { return oversized_.load(); }
  uint64_t largest_checkpoint_bytes() const { return largest_.load(); }

 private:
  // The stored checkpoint (consistent read); a partition never checkpointed has next_offset 0.
  Result<items::Checkpoint> ReadCheckpoint(uint32_t partition);
  // CountedVotes' counts of voters with a first counted vote and `many` (keyed "pk\0voter").
  Status CountLaterVotes(uint32_t partition, uint64_t from,
                         const std::unordered_map<std::string, bool>& many,
                         std::unordered_map<std::string, PriorVotes>& found);
  // Step (1): ledger puts and receipt batches, all in flight at once.
  Status WriteVotes(const PartitionCommit& commit);
  // Steps (2) and (3): `next` is the checkpoint the commit stores.
  Status WriteCheckpoint(const PartitionCommit& commit, const items::Checkpoint& next);
  Status Oversized(const PartitionCommit& commit, size_t bytes);

  DynamoClient& client_;
  const StateTables tables_;
  const Clock& clock_;
  Mutex mu_;
  // Per partition, the next offset of the last checkpoint this object knows is stored with its
  // tallies applied (loaded and rolled forward, or written and rolled forward by this object).
  std::map<uint32_t, uint64_t> applied_ GUARDED_BY(mu_);
  std::atomic<uint64_t> oversized_{0};
  std::atomic<uint64_t> largest_{0};
};

}  // namespace urna::dynamodb
