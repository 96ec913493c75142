#include "adapters/dynamodb/dynamo_ledger.h"

#include <boost/json/serialize.hpp>
#include <queue>

#include "adapters/dynamodb/dynamo_items.h"
#include "core/partition.h"
#include "core/uuid7.h"
#include "ports/clock.h"

namespace urna::dynamodb {
namespace {

namespace json = boost::json;

constexpr int kScanPage =
    500;  // ledger items per Query page and shard (bounds ScanCounted's memory)

DynamoRequest GetItem(std::string_view table, json::object key) {
  json::object req{{"TableName", table}, {"Key", std::move(key)}, {"ConsistentRead", true}};
  return {"GetItem", json::serialize(req)};
}

// One shard's Query pages, read as the merge needs them.
struct ShardCursor {
  std::string pk;
  std::vector<Receipt> rows;
  size_t next = 0;
  std::optional<json::object> last_key;  // LastEvaluatedKey: more pages to read
  bool started = false;
};

DynamoRequest QueryPage(std::string_view table, const ShardCursor& c) {
  json::object req{{"TableName", table},
                   {"KeyConditionExpression", "pk = :pk"},
                   {"ExpressionAttributeValues", json::object{{":pk", items::S(c.pk)}}},
                   {"ConsistentRead", true},
                   {"Limit", kScanPage}};
  if (c.last_key) req["ExclusiveStartKey"] = *c.last_key;
  return {"Query", json::serialize(req)};
}

// Takes a Query response into the cursor.
Status TakePage(ShardCursor& c, const Result<std::string>& res) {
  if (!res.ok()) return res.status();
  auto o = items::ParseObject(res.value(), "Query response");
  if (!o.ok()) return o.status();
  c.rows.clear();
  c.next = 0;
  c.started = true;
  c.last_key.reset();
  if (const json::value* it = o->if_contains("Items"); it != nullptr && it->is_array()) {
    for (const auto& item : it->as_array()) {
      if (!item.is_object()) return Status(Code::kInternal, "corrupt Query response");
      auto r = items::ReceiptFromLedgerItem(item.as_object());
      if (!r.ok()) return r.status();
      c.rows.push_back(std::move(*r));
    }
  }
  if (const json::value* k = o->if_contains("LastEvaluatedKey"); k != nullptr && k->is_object()) {
    c.last_key = k->as_object();
  }
  return Status::Ok();
}

}  // namespace

DynamoLedger::DynamoLedger(DynamoClient& client, StateTables tables, uint32_t partitions,
                           EndOffsetFn end_offset, std::chrono::milliseconds grace)
    : client_(client),
      tables_(std::move(tables)),
      partitions_(partitions == 0 ? 1 : partitions),
      end_offset_(std::move(end_offset)),
      grace_(grace) {}

Result<std::optional<Receipt>> DynamoLedger::FindProcessed(std::string_view election_id,
                                                           std::string_view voter_id,
                                                           std::string_view vote_id) {
  json::object ledger_key{
      {"pk", items::S(LedgerHashKey(election_id, voter_id, tables_.ledger_shards))},
      {"voter", items::S(voter_id)}};
  auto res =
      client_.CallAll({GetItem(tables_.ledger(), std::move(ledger_key)),
                       GetItem(tables_.receipts(), json::object{{"vote_id", items::S(vote_id)}})});
  for (const auto& r : res) {
    if (!r.ok()) return r.status();
  }
  // The ledger first: a receipt item of a counted vote can only be a stale one (written by an
  // attempt of its batch that decided otherwise and never checkpointed).
  auto counted = items::ItemOf(*res[0]);
  if (!counted.ok()) return counted.status();
  if (counted->has_value() && items::GetS(**counted, "vote_id") == vote_id) {
    auto r = items::ReceiptFromLedgerItem(**counted);
    if (!r.ok()) return r.status();
    return std::optional<Receipt>(std::move(*r));
  }
  auto other = items::ItemOf(*res[1]);
  if (!other.ok()) return other.status();
  if (other->has_value()) {
    auto r = items::ReceiptFromReceiptItem(**other);
    if (!r.ok()) return r.status();
    if (r->election_id != election_id || r->voter_id != voter_id) return std::optional<Receipt>();
    if (r->outcome != Outcome::kCounted) return std::optional<Receipt>(std::move(*r));
    // policy: a voter's later counted vote; its ledger row decides (a receipt item written by an
    // attempt that never checkpointed may name a row that holds another vote, or none).
    const int64_t n = items::GetN(**other, "n").value_or(0);
    if (n < 2) return Status(Code::kInternal, "corrupt receipt item of counted vote " + r->vote_id);
    json::object key{{"pk", items::S(LedgerHashKey(election_id, voter_id, tables_.ledger_shards))},
                     {"voter", items::S(LedgerSortKey(voter_id, static_cast<uint64_t>(n)))}};
    auto row = client_.Call(GetItem(tables_.ledger(), std::move(key)));
    if (!row.ok()) return row.status();
    auto item = items::ItemOf(*row);
    if (!item.ok()) return item.status();
    if (item->has_value() && items::GetS(**item, "vote_id") == vote_id) {
      auto counted_r = items::ReceiptFromLedgerItem(**item);
      if (!counted_r.ok()) return counted_r.status();
      return std::optional<Receipt>(std::move(*counted_r));
    }
  }
  return std::optional<Receipt>();
}

Result<std::optional<Receipt>> DynamoLedger::FindReceipt(std::string_view election_id,
                                                         std::string_view voter_id,
                                                         std::string_view vote_id) {
  auto found = FindProcessed(election_id, voter_id, vote_id);
  if (!found.ok() || found->has_value()) return found;
  if (!end_offset_) return Status(Code::kInternal, "DynamoLedger has no log end offsets");
  // Not processed, or no such vote. Read in this order: the end (an acknowledged vote is below
  // it), then the checkpoint, then the items again (written before the checkpoint moved).
  const uint32_t partition = PartitionFor(election_id, voter_id, partitions_);
  auto end = end_offset_(partition);
  if (!end.ok()) return end.status();
  json::object req{{"TableName", tables_.checkpoints()},
                   {"Key", items::CheckpointKey(tables_.topic, partition)},
                   {"ConsistentRead", true},
                   {"ProjectionExpression", "next_offset"}};
  auto res = client_.Call({"GetItem", json::serialize(req)});
  if (!res.ok()) return res.status();
  auto item = items::ItemOf(*res);
  if (!item.ok()) return item.status();
  int64_t next = 0;
  if (item->has_value()) next = items::GetN(**item, "next_offset").value_or(0);
  const int64_t age_ms = SystemClock().NowMs() - Uuid7Millis(vote_id);
  if (next < 0 || static_cast<uint64_t>(next) < *end || age_ms < grace_.count()) {
    Receipt pending;  // its option is in the log only: unknown here
    pending.vote_id = std::string(vote_id);
    pending.election_id = std::string(election_id);
    pending.voter_id = std::string(voter_id);
    pending.outcome = Outcome::kPending;
    pending.ingest_time_ms = Uuid7Millis(vote_id);
    return std::optional<Receipt>(std::move(pending));
  }
  return FindProcessed(election_id, voter_id, vote_id);
}

Result<std::optional<Receipt>> DynamoLedger::FindCountedReceipt(std::string_view election_id,
                                                                std::string_view voter_id) {
  json::object key{{"pk", items::S(LedgerHashKey(election_id, voter_id, tables_.ledger_shards))},
                   {"voter", items::S(voter_id)}};
  auto res = client_.Call(GetItem(tables_.ledger(), std::move(key)));
  if (!res.ok()) return res.status();
  auto item = items::ItemOf(*res);
  if (!item.ok()) return item.status();
  if (!item->has_value()) return std::optional<Receipt>();
  auto r = items::ReceiptFromLedgerItem(**item);
  if (!r.ok()) return r.status();
  return std::optional<Receipt>(std::move(*r));
}

Status DynamoLedger::ScanCounted(std::string_view election_id,
                                 const std::function<bool(const Receipt&)>& fn) {
  const uint32_t shards = tables_.ledger_shards == 0 ? 1 : tables_.ledger_shards;
  std::vector<ShardCursor> cursors(shards);
  std::vector<DynamoRequest> first;
  for (uint32_t s = 0; s < shards; ++s) {
    cursors[s].pk = LedgerShardKey(election_id, s);
    first.push_back(QueryPage(tables_.ledger(), cursors[s]));
  }
  auto pages = client_.CallAll(first);
  for (uint32_t s = 0; s < shards; ++s) {
    if (auto st = TakePage(cursors[s], pages[s]); !st.ok()) return st;
  }
  // Each shard is in voter order (the sort key, byte order like std::string's): merge them.
  auto later = [&](uint32_t a, uint32_t b) {
    return cursors[a].rows[cursors[a].next].voter_id > cursors[b].rows[cursors[b].next].voter_id;
  };
  std::priority_queue<uint32_t, std::vector<uint32_t>, decltype(later)> heap(later);
  // A cursor with no row in hand reads its next page (empty pages can precede more).
  auto ready = [&](uint32_t s) -> Result<bool> {
    ShardCursor& c = cursors[s];
    while (c.next == c.rows.size()) {
      if (!c.last_key) return false;
      if (auto st = TakePage(c, client_.Call(QueryPage(tables_.ledger(), c))); !st.ok()) return st;
    }
    return true;
  };
  for (uint32_t s = 0; s < shards; ++s) {
    auto r = ready(s);
    if (!r.ok()) return r.status();
    if (*r) heap.push(s);
  }
  while (!heap.empty()) {
    uint32_t s = heap.top();
    heap.pop();
    if (!fn(cursors[s].rows[cursors[s].next++])) return Status::Ok();
    auto r = ready(s);
    if (!r.ok()) return r.status();
    if (*r) heap.push(s);
  }
  return Status::Ok();
}

}  // namespace urna::dynamodb
