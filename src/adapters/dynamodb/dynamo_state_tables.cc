#include "adapters/dynamodb/dynamo_state_tables.h"

#include "core/partition.h"

namespace urna::dynamodb {
namespace {

// A PAY_PER_REQUEST table with a string hash key and an optional range key.
TableSpec Spec(std::string name, std::string_view hash, std::string_view range,
               std::string_view range_type) {
  std::string attrs = R"({"AttributeName":")" + std::string(hash) + R"(","AttributeType":"S"})";
  std::string keys = R"({"AttributeName":")" + std::string(hash) + R"(","KeyType":"HASH"})";
  if (!range.empty()) {
    attrs += R"(,{"AttributeName":")" + std::string(range) + R"(","AttributeType":")" +
             std::string(range_type) + R"("})";
    keys += R"(,{"AttributeName":")" + std::string(range) + R"(","KeyType":"RANGE"})";
  }
  std::string json = R"({"TableName":")" + name + R"(","AttributeDefinitions":[)" + attrs +
                     R"(],"KeySchema":[)" + keys + R"(],"BillingMode":"PAY_PER_REQUEST"})";
  return TableSpec{std::move(name), std::move(json)};
}

}  // namespace

std::vector<TableSpec> StateTableSpecs(std::string_view prefix) {
  StateTables t;
  t.prefix = std::string(prefix);
  return {Spec(t.ledger(), "pk", "voter", "S"), Spec(t.receipts(), "vote_id", "", ""),
          Spec(t.checkpoints(), "topic", "partition", "N"),
          Spec(t.tallies(), "pk", "election", "S")};
}

std::string LedgerShardKey(std::string_view election_id, uint32_t shard) {
  return std::string(election_id) + "#" + std::to_string(shard);
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
