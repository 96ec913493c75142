#include "adapters/dynamodb/dynamo_batch_get.h"

#include <boost/json/serialize.hpp>
#include <chrono>
#include <thread>

#include "adapters/dynamodb/dynamo_items.h"

namespace urna::dynamodb {
namespace {

namespace json = boost::json;

constexpr size_t kMaxGetKeys = 100;  // BatchGetItem's limit per request
constexpr int kMaxRounds = 8;        // rounds for unprocessed keys before giving up

// Backoff before round `round` (1..): 20 ms doubling, at most ~1.3 s, ~2.5 s in all.
void Backoff(int round) {
  std::this_thread::sleep_for(std::chrono::milliseconds(20 << std::min(round - 1, 6)));
}

// The array `name` of `o[table]` (nullptr when absent).
const json::array* ArrayIn(const json::object& o, std::string_view top, std::string_view table,
                           std::string_view name) {
  const json::value* t = o.if_contains(top);
  if (t == nullptr || !t->is_object()) return nullptr;
  const json::value* v = t->as_object().if_contains(table);
  if (v == nullptr) return nullptr;
  if (!name.empty()) {
    if (!v->is_object()) return nullptr;
    v = v->as_object().if_contains(name);
  }
  return v != nullptr && v->is_array() ? &v->as_array() : nullptr;
}

}  // namespace

Result<std::vector<json::object>> BatchGet(DynamoClient& client, std::string_view table,
                                           std::vector<json::object> keys,
                                           std::string_view projection,
                                           std::vector<std::pair<std::string, std::string>> names) {
  std::vector<json::object> found;
  for (int round = 0; !keys.empty(); ++round) {
    if (round == kMaxRounds) {
      return Status(Code::kUnavailable, "DynamoDB left " + std::to_string(keys.size()) +
                                            " keys of " + std::string(table) + " unprocessed");
    }
    if (round > 0) Backoff(round);
    std::vector<DynamoRequest> requests;
    for (size_t i = 0; i < keys.size(); i += kMaxGetKeys) {
      json::array chunk;
      for (size_t j = i; j < std::min(keys.size(), i + kMaxGetKeys); ++j) {
        chunk.push_back(std::move(keys[j]));
      }
      json::object spec{{"Keys", std::move(chunk)}, {"ConsistentRead", true}};
      if (!projection.empty()) spec["ProjectionExpression"] = projection;
      if (!names.empty()) {
        json::object n;
        for (const auto& [k, v] : names) n[k] = v;
        spec["ExpressionAttributeNames"] = std::move(n);
      }
      json::object req{{"RequestItems", json::object{{table, std::move(spec)}}}};
      requests.push_back({"BatchGetItem", json::serialize(req)});
    }
    keys.clear();
    for (auto& res : client.CallAll(requests)) {
      if (!res.ok()) return res.status();
      auto o = items::ParseObject(*res, "BatchGetItem response");
      if (!o.ok()) return o.status();
      if (const json::array* items = ArrayIn(*o, "Responses", table, "")) {
        for (const auto& item : *items) {
          if (item.is_object()) found.push_back(item.as_object());
        }
      }
      if (const json::array* left = ArrayIn(*o, "UnprocessedKeys", table, "Keys")) {
        for (const auto& k : *left) {
          if (k.is_object()) keys.push_back(k.as_object());
        }
      }
    }
  }
  return found;
}

}  // namespace urna::dynamodb
