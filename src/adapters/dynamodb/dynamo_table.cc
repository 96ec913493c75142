// EnsureTable (dynamo_client.h): CreateTable unless the table exists, then DescribeTable until
// it is ACTIVE.
#include <boost/json.hpp>
#include <thread>

#include "adapters/dynamodb/dynamo_client.h"

namespace urna::dynamodb {
namespace {

// The table's TableStatus ("CREATING", "ACTIVE", ...) from a DescribeTable response.
std::string TableStatus(const std::string& describe_response) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(describe_response, ec);
  if (ec || !v.is_object()) return "";
  const auto* table = v.as_object().if_contains("Table");
  if (table == nullptr || !table->is_object()) return "";
  const auto* status = table->as_object().if_contains("TableStatus");
  if (status == nullptr || !status->is_string()) return "";
  return std::string(status->as_string());
}

}  // namespace

Result<bool> EnsureTable(DynamoClient& client, const TableSpec& spec,
                         std::chrono::milliseconds active_timeout) {
  auto created = client.Call({"CreateTable", spec.create_table_json});
  bool made = created.ok();
  // ResourceInUseException (kConflict): the table exists or is being created by someone else.
  if (!made && created.status().code() != Code::kConflict) return created.status();

  std::string describe = boost::json::serialize(boost::json::object{{"TableName", spec.name}});
  auto deadline = std::chrono::steady_clock::now() + active_timeout;
  std::chrono::milliseconds wait{20};
  std::string last;
  while (true) {
    auto r = client.Call({"DescribeTable", describe});
    if (!r.ok()) return r.status();
    last = TableStatus(*r);
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
