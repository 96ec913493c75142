// DynamoLedger: the Ledger port over the DynamoDB tables DynamoProcessorState writes (issue 9).
// A counted vote's receipt is its ledger item (pk "<election>#<shard>", sort key voter); a
// duplicate or rejected vote has a receipt item (key vote_id). A vote found in neither is
// pending only while its partition has not been processed past it: the vote's partition is
// PartitionFor(election, voter, partitions); a vote that was acknowledged (202) is below the
// partition's end offset read now, so once the partition's checkpoint is at or past that end,
// the vote was processed and its receipt or ledger item exists (both are written before the
// checkpoint, read again after it): still not found means no such vote (nullopt, a 404) —
// unless the vote id's time (UUIDv7, ingest's clock) is less than `grace` old: a new partition
// leader's high watermark can briefly lag what the old one acknowledged, and ingest clocks
// differ a little, so a fresh id stays `pending` that long rather than risk a false 404.
// ScanCounted queries every shard of the election and merges them into voter id order.
// Owned by the role that serves receipts, recount and audit; thread-safe; blocking (call off
// the network threads).
#pragma once

#include <chrono>
#include <functional>

#include "adapters/dynamodb/dynamo_client.h"
#include "adapters/dynamodb/dynamo_state_tables.h"
#include "ports/ledger.h"

namespace urna::dynamodb {

class DynamoLedger final : public Ledger {
 public:
  // The first offset of a log partition not yet durable (Kafka: its high watermark), read now.
  using EndOffsetFn = std::function<Result<uint64_t>(uint32_t partition)>;

  // `client` must outlive this; `partitions` is the log's partition count; `end_offset` is
  // called only for a vote found nowhere.
  DynamoLedger(DynamoClient& client, StateTables tables, uint32_t partitions,
               EndOffsetFn end_offset, std::chrono::milliseconds grace = std::chrono::seconds(30));

  Result<std::optional<Receipt>> FindReceipt(std::string_view election_id,
                                             std::string_view voter_id,
                                             std::string_view vote_id) override;
  Result<std::optional<Receipt>> FindCountedReceipt(std::string_view election_id,
                                                    std::string_view voter_id) override;
  Status ScanCounted(std::string_view election_id,
                     const std::function<bool(const Receipt&)>& fn) override;

 private:
  // The vote's receipt if it was processed (its ledger item or its receipt item).
  Result<std::optional<Receipt>> FindProcessed(std::string_view election_id,
                                               std::string_view voter_id, std::string_view vote_id);

  DynamoClient& client_;
  const StateTables tables_;
  const uint32_t partitions_;
  const EndOffsetFn end_offset_;
  const std::chrono::milliseconds grace_;
};

}  // namespace urna::dynamodb
