// The processor state's DynamoDB tables (ledger, receipts, checkpoints, tallies): their names,
// their CreateTable requests for `urna init`, and the ledger's and tallies' keys. Schemas:
// src/adapters/dynamodb/README.md ("Ledger, receipts, checkpoints"). Plain values; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapters/dynamodb/dynamo_client.h"

namespace urna::dynamodb {

// Where one deployment keeps its processor state. Every process of a deployment (ingest and
// process) must use the same values: `ledger_shards` is part of every ledger key, so it is fixed
// once data exists (changing it hides the ledger from readers and from dedupe).
struct StateTables {
  std::string prefix = "urna-";      // --table-prefix
  std::string topic = "urna.votes";  // checkpoints are per (topic, partition)
  uint32_t ledger_shards = 64;       // one election's ledger spreads over this many hash keys
  // A checkpoint item larger than this is refused before it is sent (DynamoDB refuses items over
  // 400 KB; measured as the item's JSON text, which is longer than DynamoDB counts it).
  size_t max_checkpoint_bytes = 380'000;

  std::string ledger() const { return prefix + "ledger"; }
  std::string receipts() const { return prefix + "receipts"; }
  std::string checkpoints() const { return prefix + "checkpoints"; }
  std::string tallies() const { return prefix + "tallies"; }
};

// The four tables' specs, for EnsureTable (`urna init`).
std::vector<TableSpec> StateTableSpecs(std::string_view prefix);

// The ledger's hash key of a voter: "<election>#<shard>", shard = VoterKeyHash(election, voter)
// through MurmurHash3's 64-bit finalizer, modulo `shards` (so shards do not follow partitions).
std::string LedgerHashKey(std::string_view election_id, std::string_view voter_id, uint32_t shards);
std::string LedgerShardKey(std::string_view election_id, uint32_t shard);
// policy: the ledger's sort key of a voter's `ordinal`-th counted vote (1 = the first): the voter
// id for the first, "<voter>#<ordinal, 20 digits>" for later ones (ids hold no '#', which sorts
// before every id character: a voter's rows are contiguous, in ordinal order). And back: the
// voter id and the ordinal of a sort key.
std::string LedgerSortKey(std::string_view voter_id, uint64_t ordinal);
std::pair<std::string_view, uint64_t> ParseLedgerSortKey(std::string_view sort_key);
// The tallies table's hash key of a partition: "<topic>#<partition>" (its sort key: the election).
std::string TallyHashKey(std::string_view topic, uint32_t partition);

}  // namespace urna::dynamodb
