#include "adapters/dynamodb/dynamo_tallies.h"

#include <boost/json/serialize.hpp>
#include <optional>

#include "adapters/dynamodb/dynamo_batch_get.h"

namespace urna::dynamodb {

namespace json = boost::json;

Status ApplyBatch(DynamoClient& client, const StateTables& tables, uint32_t partition,
                  const items::Checkpoint& checkpoint) {
  std::vector<DynamoRequest> updates;
  updates.reserve(checkpoint.batch.size());
  for (const auto& [election, cell] : checkpoint.batch) {
    updates.push_back({"UpdateItem", json::serialize(items::TallyUpdate(
                                         tables.tallies(), tables.topic, partition, election, cell,
                                         checkpoint.next_offset, checkpoint.at_ms))});
  }
  if (updates.empty()) return Status::Ok();
  auto results = client.CallAll(updates);
  for (const auto& r : results) {
    // kConflict: the item holds this state already (a retry after a lost answer, a second
    // roll forward) or a later one. Either way it is not behind this checkpoint.
    if (!r.ok() && r.status().code() != Code::kConflict) {
      return Status(r.status().code(), "tallies of partition " + std::to_string(partition) +
                                           " at " + std::to_string(checkpoint.next_offset) + ": " +
                                           r.status().message());
    }
  }
  return Status::Ok();
}

Result<std::vector<items::TallyItem>> ReadPartitionTallies(DynamoClient& client,
                                                           const StateTables& tables,
                                                           uint32_t partition) {
  std::vector<items::TallyItem> out;
  std::optional<json::object> start;
  // A page is at most 1 MB: the bound is far above any partition's elections.
  for (int page = 0;; ++page) {
    if (page == 100000) return Status(Code::kInternal, "the tallies Query does not end");
    json::object req{{"TableName", tables.tallies()},
                     {"KeyConditionExpression", "pk = :p"},
                     {"ExpressionAttributeValues",
                      json::object{{":p", items::S(TallyHashKey(tables.topic, partition))}}},
                     {"ConsistentRead", true}};
    if (start) req["ExclusiveStartKey"] = *start;
    auto res = client.Call({"Query", json::serialize(req)});
    if (!res.ok()) return res.status();
    auto o = items::ParseObject(*res, "Query response");
    if (!o.ok()) return o.status();
    if (const json::value* its = o->if_contains("Items"); its != nullptr && its->is_array()) {
      for (const auto& item : its->as_array()) {
        if (!item.is_object()) return Status(Code::kInternal, "corrupt tallies Query");
        auto t = items::TallyFromItem(item.as_object());
        if (!t.ok()) return t.status();
        out.push_back(std::move(*t));
      }
    }
    const json::value* last = o->if_contains("LastEvaluatedKey");
    if (last == nullptr || !last->is_object()) break;
    start = last->as_object();
  }
  return out;
}

Result<std::vector<items::TallyItem>> ReadElectionTallies(
    DynamoClient& client, const StateTables& tables, uint32_t partitions,
    const std::vector<std::string>& elections) {
  std::vector<json::object> keys;
  keys.reserve(elections.size() * partitions);
  for (const auto& e : elections) {
    for (uint32_t p = 0; p < partitions; ++p) {
      keys.push_back(
          json::object{{"pk", items::S(TallyHashKey(tables.topic, p))}, {"election", items::S(e)}});
    }
  }
  std::vector<items::TallyItem> out;
  if (keys.empty()) return out;
  auto rows = BatchGet(client, tables.tallies(), std::move(keys), "", {});
  if (!rows.ok()) return rows.status();
  out.reserve(rows->size());
  for (const auto& item : *rows) {
    auto t = items::TallyFromItem(item);
    if (!t.ok()) return t.status();
    out.push_back(std::move(*t));
  }
  return out;
}

}  // namespace urna::dynamodb
