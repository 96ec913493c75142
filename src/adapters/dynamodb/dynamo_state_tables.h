// The processor state's DynamoDB tables (ledger, receipts, checkpoints): their names, their
// CreateTable requests for `urna init`, and the ledger's sharded key. Schemas:
// src/adapters/dynamodb/README.md ("Ledger, receipts, checkpoints"). Plain values; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
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

  std::string ledger() const { return prefix + "ledger"; }
  std::string receipts() const { return prefix + "receipts"; }
  std::string checkpoints() const { return prefix + "checkpoints"; }
};

// The three tables' specs, for EnsureTable (`urna init`).
std::vector<TableSpec> StateTableSpecs(std::string_view prefix);

// The ledger's hash key of a voter: "<election>#<shard>", shard = VoterKeyHash(election, voter)
// through MurmurHash3's 64-bit finalizer, modulo `shards` (so shards do not follow partitions).
std::string LedgerHashKey(std::string_view election_id, std::string_view voter_id, uint32_t shards);
std::string LedgerShardKey(std::string_view election_id, uint32_t shard);

}  // namespace urna::dynamodb
