// EnsureTable (dynamo_client.h): CreateTable unless the table exists, then DescribeTable until
// it is ACTIVE.
#include <algorithm>
#include <boost/json.hpp>
#include <thread>
#include <vector>

#include "adapters/dynamodb/dynamo_client.h"

namespace urna::dynamodb {
namespace json = boost::json;
namespace {

// The table's TableStatus ("CREATING", "ACTIVE", ...) from a DescribeTable response.
std::string TableStatus(const json::value& table) {
  if (!table.is_object()) return "";
  const auto* status = table.as_object().if_contains("TableStatus");
  if (status == nullptr || !status->is_string()) return "";
  return std::string(status->as_string());
}

// DescribeTable's "Table" object (null if absent).
json::value DescribedTable(const std::string& describe_response) {
  boost::system::error_code ec;
  json::value v = json::parse(describe_response, ec);
  if (ec || !v.is_object()) return nullptr;
  const auto* table = v.as_object().if_contains("Table");
  return table ? *table : json::value(nullptr);
}

// The key schema ("KeySchema": [{AttributeName, KeyType}...]) of a CreateTable request or of
// DescribeTable's "Table", as sorted "name:type" strings.
std::vector<std::string> KeySchema(const json::value& v) {
  std::vector<std::string> out;
  if (!v.is_object()) return out;
  const auto* keys = v.as_object().if_contains("KeySchema");
  if (keys == nullptr || !keys->is_array()) return out;
  for (const auto& k : keys->as_array()) {
    if (!k.is_object()) continue;
    const auto* name = k.as_object().if_contains("AttributeName");
    const auto* type = k.as_object().if_contains("KeyType");
    if (name && name->is_string() && type && type->is_string()) {
      out.push_back(std::string(name->as_string()) + ":" + std::string(type->as_string()));
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

TableSpec PayPerRequestTable(std::string name, std::string_view hash, std::string_view range,
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

Result<bool> EnsureTable(DynamoClient& client, const TableSpec& spec,
                         std::chrono::milliseconds active_timeout) {
  boost::system::error_code ec;
  json::value wanted = json::parse(spec.create_table_json, ec);
  if (ec) return Status(Code::kInternal, "table " + spec.name + ": the spec is not JSON");
  auto created = client.Call({"CreateTable", spec.create_table_json});
  bool made = created.ok();
  // ResourceInUseException (kConflict): the table exists or is being created by someone else.
  if (!made && created.status().code() != Code::kConflict) return created.status();

  std::string describe = json::serialize(json::object{{"TableName", spec.name}});
  auto deadline = std::chrono::steady_clock::now() + active_timeout;
  std::chrono::milliseconds wait{20};
  std::string last;
  while (true) {
    auto r = client.Call({"DescribeTable", describe});
    if (!r.ok()) return r.status();
    json::value table = DescribedTable(*r);
    if (!made && KeySchema(table) != KeySchema(wanted)) {
      return Status(Code::kConflict, "table " + spec.name + " exists with the key (" +
                                         Join(KeySchema(table)) + "), not (" +
                                         Join(KeySchema(wanted)) + ")");
    }
    last = TableStatus(table);
    if (last == "ACTIVE") return made;
    if (last != "CREATING" && last != "UPDATING") {
      return Status(Code::kInternal,
                    "table " + spec.name + " is " + (last.empty() ? "in no known state" : last));
    }
    if (std::chrono::steady_clock::now() + wait > deadline) break;
    std::this_thread::sleep_for(wait);
    wait = std::min(wait * 2, std::chrono::milliseconds(1000));
  }
  return Status(Code::kUnavailable, "table " + spec.name + " is still " + last + " after " +
                                        std::to_string(active_timeout.count()) + " ms");
}

}  // namespace urna::dynamodb
