#include "adapters/dynamodb/dynamo_node_leases.h"

#include <boost/json.hpp>
#include <charconv>
#include <cstdio>
#include <random>

namespace urna::dynamodb {
namespace json = boost::json;
namespace {

constexpr std::string_view kLease = "lease";
constexpr std::string_view kClosing = "closing";

json::object S(std::string_view s) { return {{"S", s}}; }
json::object N(uint64_t n) { return {{"N", std::to_string(n)}}; }
json::object NI(int64_t n) { return {{"N", std::to_string(n)}}; }
json::object Key(std::string_view pk, std::string_view sk) {
  return {{"pk", S(pk)}, {"sk", S(sk)}};
}
std::string AckPk(std::string_view election_id) { return "ack#" + std::string(election_id); }

// A string-typed attribute of `item` ({"name": {"S"|"N": "..."}}), or nullptr.
const json::string* Attr(const json::object& item, std::string_view name, std::string_view type) {
  const auto* a = item.if_contains(name);
  if (a == nullptr || !a->is_object()) return nullptr;
  const auto* v = a->as_object().if_contains(type);
  return v && v->is_string() ? &v->as_string() : nullptr;
}

template <class T>
bool ParseNumber(const json::string* s, T& out) {
  if (s == nullptr) return false;
  auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), out);
  return ec == std::errc() && end == s->data() + s->size();
}

Result<json::object> ParseObject(const std::string& body, std::string_view what) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) {
    return Status(Code::kInternal, std::string(what) + ": the answer is not a JSON object");
  }
  return std::move(v.as_object());
}

Result<NodeLease> ParseLease(const json::object& item, const std::string& table) {
  const json::string* sk = Attr(item, "sk", "S");
  const json::string* epoch = Attr(item, "epoch", "S");
  NodeLease lease;
  if (sk == nullptr || epoch == nullptr ||
      !ParseNumber(Attr(item, "heartbeat", "N"), lease.heartbeat)) {
    return Status(Code::kInternal, table + ": a lease item lacks sk, epoch or heartbeat");
  }
  lease.node_id = std::string(*sk);
  lease.epoch = std::string(*epoch);
  return lease;
}

// Every item under partition key `pk` (consistent Query, all pages).
Result<std::vector<json::object>> QueryAll(DynamoClient& client, const std::string& table,
                                           std::string_view pk) {
  std::vector<json::object> out;
  json::value start;                           // LastEvaluatedKey of the previous page
  for (int page = 0; page < 100000; ++page) {  // bounded by the items; this only to be safe
    json::object req{{"TableName", table},
                     {"KeyConditionExpression", "pk = :pk"},
                     {"ExpressionAttributeValues", json::object{{":pk", S(pk)}}},
                     {"ConsistentRead", true}};
    if (!start.is_null()) req["ExclusiveStartKey"] = start;
    auto r = client.Call({"Query", json::serialize(req)});
    if (!r.ok()) return r.status();
    auto v = ParseObject(*r, "Query " + table);
    if (!v.ok()) return v.status();
    if (const auto* items = v->if_contains("Items"); items && items->is_array()) {
      for (const auto& item : items->as_array()) {
        if (item.is_object()) out.push_back(item.as_object());
      }
    }
    const auto* next = v->if_contains("LastEvaluatedKey");
    if (next == nullptr || next->is_null()) break;
    start = *next;
  }
  return out;
}

// 128 random bits in hex: one registration's epoch (std::random_device reads the kernel's
// generator, so two processes, or one restarted, never pick the same).
std::string NewEpoch() {
  std::random_device rd;
  std::string out;
  for (int i = 0; i < 4; ++i) {
    char buf[9];
    std::snprintf(buf, sizeof buf, "%08x", static_cast<unsigned>(rd()));
    out += buf;
  }
  return out;
}

}  // namespace

TableSpec DynamoNodeLeases::Spec(std::string_view table_prefix) {
  return PayPerRequestTable(std::string(table_prefix) + "nodes", "pk", "sk", "S");
}

DynamoNodeLeases::DynamoNodeLeases(DynamoClient& client, std::string_view table_prefix,
                                   const Clock& wall)
    : client_(client), table_(std::string(table_prefix) + "nodes"), wall_(wall) {}

Result<NodeLease> DynamoNodeLeases::Register(std::string_view node_id) {
  NodeLease lease{std::string(node_id), NewEpoch(), 0};
  json::object item = Key(kLease, node_id);
  item["epoch"] = S(lease.epoch);
  item["heartbeat"] = N(0);
  // Only where no lease of this node id is stored: another process holding the id (or this
  // node's previous run) must be expired first, never replaced while it may still admit votes.
  json::object req{{"TableName", table_},
                   {"Item", std::move(item)},
                   {"ConditionExpression", "attribute_not_exists(pk)"}};
  auto r = client_.Call({"PutItem", json::serialize(req)});
  if (r.ok()) return lease;
  if (r.status().code() != Code::kConflict) return r.status();
  // Another lease is stored, or this very put applied on an attempt whose answer was lost.
  auto stored = Read(node_id);
  if (stored.ok() && stored->epoch == lease.epoch) return lease;
  if (!stored.ok() && stored.status().code() != Code::kNotFound) return stored.status();
  return Status(Code::kConflict, "another lease of node " + std::string(node_id) + " is stored");
}

Result<NodeLease> DynamoNodeLeases::Read(std::string_view node_id) {
  json::object req{{"TableName", table_}, {"Key", Key(kLease, node_id)}, {"ConsistentRead", true}};
  auto r = client_.Call({"GetItem", json::serialize(req)});
  if (!r.ok()) return r.status();
  auto v = ParseObject(*r, "GetItem " + table_);
  if (!v.ok()) return v.status();
  const auto* item = v->if_contains("Item");
  if (item == nullptr || !item->is_object()) {
    return Status(Code::kNotFound, "no lease of node " + std::string(node_id));
  }
  return ParseLease(item->as_object(), table_);
}

Result<NodeLease> DynamoNodeLeases::Renew(const NodeLease& lease) {
  NodeLease next = lease;
  ++next.heartbeat;
  json::object req{{"TableName", table_},
                   {"Key", Key(kLease, lease.node_id)},
                   {"UpdateExpression", "SET #h = :next"},
                   {"ConditionExpression", "#e = :e AND #h = :h"},
                   {"ExpressionAttributeNames", json::object{{"#e", "epoch"}, {"#h", "heartbeat"}}},
                   {"ExpressionAttributeValues", json::object{{":e", S(lease.epoch)},
                                                              {":h", N(lease.heartbeat)},
                                                              {":next", N(next.heartbeat)}}}};
  auto r = client_.Call({"UpdateItem", json::serialize(req)});
  if (r.ok()) return next;
  if (r.status().code() != Code::kConflict) return r.status();
  // The condition failed: the lease was expired or replaced, or this very renewal applied on an
  // attempt whose answer was lost. Only the stored item can tell.
  auto stored = Read(lease.node_id);
  if (stored.ok() && *stored == next) return next;
  if (!stored.ok() && stored.status().code() != Code::kNotFound) return stored.status();
  return Status(Code::kConflict, "the lease of node " + lease.node_id + " was expired or replaced");
}

Status DynamoNodeLeases::Expire(const NodeLease& lease) {
  json::object req{
      {"TableName", table_},
      {"Key", Key(kLease, lease.node_id)},
      // Absent: gone already (a retry of this removal whose answer was lost, or the node left).
      {"ConditionExpression", "attribute_not_exists(pk) OR (#e = :e AND #h = :h)"},
      {"ExpressionAttributeNames", json::object{{"#e", "epoch"}, {"#h", "heartbeat"}}},
      {"ExpressionAttributeValues",
       json::object{{":e", S(lease.epoch)}, {":h", N(lease.heartbeat)}}}};
  auto r = client_.Call({"DeleteItem", json::serialize(req)});
  if (r.ok()) return Status::Ok();
  if (r.status().code() == Code::kConflict) {
    return Status(Code::kConflict,
                  "the lease of node " + lease.node_id + " was renewed or replaced");
  }
  return r.status();
}

Result<std::vector<NodeLease>> DynamoNodeLeases::Leases() {
  auto items = QueryAll(client_, table_, kLease);
  if (!items.ok()) return items.status();
  std::vector<NodeLease> out;
  for (const auto& item : *items) {
    auto lease = ParseLease(item, table_);
    if (!lease.ok()) return lease.status();  // a close must not ignore a node it cannot read
    out.push_back(std::move(*lease));
  }
  return out;
}

Status DynamoNodeLeases::MarkClosing(std::string_view election_id) {
  json::object item = Key(kClosing, election_id);
  item["marked_at"] = NI(wall_.NowMs());
  json::object req{{"TableName", table_},
                   {"Item", std::move(item)},
                   {"ConditionExpression", "attribute_not_exists(pk)"}};
  auto r = client_.Call({"PutItem", json::serialize(req)});
  if (r.ok() || r.status().code() == Code::kConflict) return Status::Ok();  // marked before
  return r.status();
}

Result<std::vector<std::string>> DynamoNodeLeases::Closing() {
  auto items = QueryAll(client_, table_, kClosing);
  if (!items.ok()) return items.status();
  std::vector<std::string> out;
  for (const auto& item : *items) {
    const json::string* sk = Attr(item, "sk", "S");
    if (sk == nullptr) return Status(Code::kInternal, table_ + ": a closing item lacks sk");
    out.emplace_back(*sk);
  }
  return out;
}

Status DynamoNodeLeases::Acknowledge(std::string_view election_id, const CloseAck& ack) {
  json::object item = Key(AckPk(election_id), ack.node_id);
  item["epoch"] = S(ack.epoch);
  item["stopped_at"] = NI(ack.stopped_at_ms);
  json::object req{{"TableName", table_}, {"Item", std::move(item)}};
  auto r = client_.Call({"PutItem", json::serialize(req)});  // idempotent: the same item again
  return r.ok() ? Status::Ok() : r.status();
}

Result<std::vector<CloseAck>> DynamoNodeLeases::Acks(std::string_view election_id) {
  auto items = QueryAll(client_, table_, AckPk(election_id));
  if (!items.ok()) return items.status();
  std::vector<CloseAck> out;
  for (const auto& item : *items) {
    const json::string* sk = Attr(item, "sk", "S");
    const json::string* epoch = Attr(item, "epoch", "S");
    CloseAck ack;
    if (sk == nullptr || epoch == nullptr ||
        !ParseNumber(Attr(item, "stopped_at", "N"), ack.stopped_at_ms)) {
      return Status(Code::kInternal, table_ + ": an acknowledgement lacks sk, epoch or stopped_at");
    }
    ack.node_id = std::string(*sk);
    ack.epoch = std::string(*epoch);
    out.push_back(std::move(ack));
  }
  return out;
}

}  // namespace urna::dynamodb
