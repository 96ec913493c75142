// Internal to the DynamoDB processor state and its read model; include from .cc files only.
// The tallies table (`<prefix>tallies`): one item per (partition, election) holding that
// election's absolute counts and seal in that partition. Items are written only from a stored
// checkpoint's batch record, after the checkpoint (ApplyBatch: the roll forward), each with the
// checkpoint's next offset as a fence, so an item is never ahead of its partition's checkpoint
// and an older record (a zombie's, a stale reload's) never overwrites a newer one. Blocking; any
// thread. Layout and rules: README.md ("Ledger, receipts, checkpoints").
#pragma once

#include <string>
#include <vector>

#include "adapters/dynamodb/dynamo_client.h"
#include "adapters/dynamodb/dynamo_items.h"
#include "adapters/dynamodb/dynamo_state_tables.h"

namespace urna::dynamodb {

// Brings the tally items of the elections `checkpoint`'s batch changed up to it (UpdateItems all
// in flight at once). An item already at that offset or later is left as it is. Idempotent.
Status ApplyBatch(DynamoClient& client, const StateTables& tables, uint32_t partition,
                  const items::Checkpoint& checkpoint);

// Every tally item of a partition (consistent Query, paged).
Result<std::vector<items::TallyItem>> ReadPartitionTallies(DynamoClient& client,
                                                           const StateTables& tables,
                                                           uint32_t partition);

// The tally items of these elections in partitions 0..partitions-1 (consistent BatchGetItem;
// absent items are left out).
Result<std::vector<items::TallyItem>> ReadElectionTallies(
    DynamoClient& client, const StateTables& tables, uint32_t partitions,
    const std::vector<std::string>& elections);

}  // namespace urna::dynamodb
