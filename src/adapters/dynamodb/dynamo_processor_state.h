// DynamoProcessorState: the processor's state in DynamoDB (issue 9), exactly-once without
// transactions. A batch commits in two steps: (1) its counted votes' ledger items, each a
// conditional put (`attribute_not_exists(pk) OR vote_id = :v`: the first vote wins, a replay of
// the same vote passes), and its duplicate/rejected votes' receipt items (BatchWriteItem, the same
// bytes on a replay); then (2) the partition's checkpoint item (all its absolute tallies, seals,
// next offset), a conditional put on the stored next offset being the batch's from_offset.
// A crash between (1) and (2) leaves ledger items of a batch not checkpointed: the replay finds
// them and must count those votes again, so CountedVoteIds reports a ledger item written for the
// same partition at an offset >= the batch's start as "nothing counted before" (the items carry
// their partition and offset). A zombie (or a replay behind the stored offset) writes only items
// identical to those already there, then fails its checkpoint (kConflict: reload, never
// overwrite). A checkpoint put retried after a lost response finds its own write: success.
// The checkpoint's correctness needs decisions to be deterministic for the same log and catalog
// (core/dedupe.h), as the recount's does. Tables: StateTables (dynamo_state_tables.h).
// Owned by `urna process`; thread-safe (one processor thread per partition); blocking.
#pragma once

#include <map>
#include <memory>

#include "adapters/dynamodb/dynamo_client.h"
#include "adapters/dynamodb/dynamo_state_tables.h"
#include "ports/processor_state.h"
#include "sync/mutex.h"

namespace urna::dynamodb {

namespace items {
struct Checkpoint;
}

class DynamoProcessorState final : public ProcessorState {
 public:
  // `client` must outlive this.
  DynamoProcessorState(DynamoClient& client, StateTables tables);
  ~DynamoProcessorState() override;

  Result<uint64_t> NextOffset(uint32_t partition) override;
  Result<PartitionState> Load(uint32_t partition) override;
  Result<std::vector<std::optional<std::string>>> CountedVoteIds(
      uint32_t partition, uint64_t from, const std::vector<VoterKey>& keys) override;
  Status Commit(const PartitionCommit& commit) override;

 private:
  // The stored checkpoint (consistent read); a partition never checkpointed has next_offset 0.
  Result<items::Checkpoint> ReadCheckpoint(uint32_t partition);
  // Step (1): ledger puts and receipt batches, all in flight at once.
  Status WriteVotes(const PartitionCommit& commit);
  // Step (2).
  Status WriteCheckpoint(const PartitionCommit& commit);

  DynamoClient& client_;
  const StateTables tables_;
  Mutex mu_;
  // The last checkpoint loaded or written per partition: a commit builds the next one from it.
  std::map<uint32_t, std::shared_ptr<const items::Checkpoint>> checkpoints_ GUARDED_BY(mu_);
};

}  // namespace urna::dynamodb
