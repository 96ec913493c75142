#include "adapters/dynamodb/dynamo_state_tables.h"

#include "core/partition.h"

namespace urna::dynamodb {
std::vector<TableSpec> StateTableSpecs(std::string_view prefix) {
  StateTables t;
  t.prefix = std::string(prefix);
  return {PayPerRequestTable(t.ledger(), "pk", "voter", "S"),
          PayPerRequestTable(t.receipts(), "vote_id", "", ""),
          PayPerRequestTable(t.checkpoints(), "topic", "partition", "N"),
          PayPerRequestTable(t.tallies(), "pk", "election", "S")};
}

std::string LedgerShardKey(std::string_view election_id, uint32_t shard) {
  return std::string(election_id) + "#" + std::to_string(shard);
}

std::string LedgerSortKey(std::string_view voter_id, uint64_t ordinal) {
  if (ordinal <= 1) return std::string(voter_id);
  std::string digits = std::to_string(ordinal);
  return std::string(voter_id) + "#" + std::string(20 - digits.size(), '0') + digits;
}

std::pair<std::string_view, uint64_t> ParseLedgerSortKey(std::string_view sort_key) {
  const size_t hash = sort_key.find('#');
  if (hash == std::string_view::npos) return {sort_key, 1};
  uint64_t n = 0;
  for (char c : sort_key.substr(hash + 1)) {
    if (c < '0' || c > '9') return {sort_key.substr(0, hash), 0};  // corrupt: ordinal 0
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return {sort_key.substr(0, hash), n};
}

std::string TallyHashKey(std::string_view topic, uint32_t partition) {
  return std::string(topic) + "#" + std::to_string(partition);
}

std::string LedgerHashKey(std::string_view election_id, std::string_view voter_id,
                          uint32_t shards) {
  // FNV-1a's bits are poorly mixed (voter0..voter1999 fall into 4 of 64 shards by its high
  // bits): MurmurHash3's 64-bit finalizer spreads every input bit over the whole word first.
  uint64_t h = VoterKeyHash(election_id, voter_id);
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return LedgerShardKey(election_id, static_cast<uint32_t>(h % (shards == 0 ? 1 : shards)));
}

}  // namespace urna::dynamodb
