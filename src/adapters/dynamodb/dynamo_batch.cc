#include "adapters/dynamodb/dynamo_batch.h"

#include <boost/json.hpp>
#include <random>
#include <thread>

#include "adapters/dynamodb/dynamo_wire.h"

namespace urna::dynamodb {
namespace json = boost::json;

namespace {
constexpr size_t kBatchLimit = 25;  // BatchWriteItem's limit per request
}  // namespace

Status BatchWriteAll(DynamoClient& client, const std::string& table,
                     const std::vector<std::string>& write_requests, BatchOptions options) {
  std::vector<json::value> pending;
  pending.reserve(write_requests.size());
  for (const auto& text : write_requests) {
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec || !v.is_object()) {
      return Status(Code::kInternal, "BatchWriteAll: a write request is not a JSON object");
    }
    pending.push_back(std::move(v));
  }
  DynamoConfig backoff;
  backoff.base_backoff = options.base_backoff;
  backoff.max_backoff = options.max_backoff;
  std::mt19937_64 rng(std::random_device{}());
  for (int round = 1; !pending.empty(); ++round) {
    if (round > options.max_rounds) {
      return Status(Code::kUnavailable,
                    "DynamoDB BatchWriteItem: " + std::to_string(pending.size()) +
                        " items still unprocessed after " + std::to_string(options.max_rounds) +
                        " rounds");
    }
    if (round > 1) std::this_thread::sleep_for(Backoff(backoff, round - 1, rng));
    std::vector<DynamoRequest> chunks;
    for (size_t i = 0; i < pending.size(); i += kBatchLimit) {
      json::array items;
      for (size_t j = i; j < std::min(pending.size(), i + kBatchLimit); ++j) {
        items.push_back(std::move(pending[j]));
      }
      json::object req{{"RequestItems", json::object{{table, std::move(items)}}}};
      chunks.push_back({"BatchWriteItem", json::serialize(req)});
    }
    pending.clear();
    for (auto& r : client.CallAll(chunks)) {
      if (!r.ok()) return r.status();
      boost::system::error_code ec;
      json::value v = json::parse(*r, ec);
      if (ec || !v.is_object()) return Status(Code::kInternal, "BatchWriteItem: not JSON");
      const auto* unprocessed = v.as_object().if_contains("UnprocessedItems");
      if (unprocessed == nullptr || !unprocessed->is_object()) continue;
      const auto* left = unprocessed->as_object().if_contains(table);
      if (left == nullptr || !left->is_array()) continue;
      for (const auto& item : left->as_array()) pending.push_back(item);
    }
  }
  return Status::Ok();
}

}  // namespace urna::dynamodb
