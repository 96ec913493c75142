#include "adapters/dynamodb/dynamo_gateways.h"

#include <boost/json.hpp>

#include <charconv>
#include <unordered_map>

#include "adapters/dynamodb/dynamo_batch_get.h"

namespace urna::dynamodb {
namespace json = boost::json;
namespace {

constexpr std::string_view kGateway = "gateway";

json::object S(std::string_view s) { return {{"S", s}}; }
json::object N(int64_t n) { return {{"N", std::to_string(n)}}; }
json::object Key(std::string_view pk, std::string_view sk) {
  return {{"pk", S(pk)}, {"sk", S(sk)}};
}

// "ref#gateway#election#ref" of a RefKey ("gateway\0election\0ref").
std::string RefPk(std::string_view key) {
  std::string pk = "ref#";
  pk.reserve(4 + key.size());
  for (char c : key) pk += c == '\0' ? '#' : c;
  return pk;
}

const json::string* Attr(const json::object& item, std::string_view name, std::string_view type) {
  const auto* a = item.if_contains(name);
  if (a == nullptr || !a->is_object()) return nullptr;
  const auto* v = a->as_object().if_contains(type);
  return v && v->is_string() ? &v->as_string() : nullptr;
}

bool ParseI64(const json::string* s, int64_t& out) {
  if (s == nullptr) return false;
  auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), out);
  return ec == std::errc() && end == s->data() + s->size();
}

Result<Gateway> ParseGateway(const json::object& item, const std::string& table) {
  Gateway g;
  const json::string* sk = Attr(item, "sk", "S");
  const json::string* hash = Attr(item, "secret_sha256", "S");
  const json::string* elections = Attr(item, "elections", "S");
  if (sk == nullptr || hash == nullptr || elections == nullptr ||
      !ParseI64(Attr(item, "created_at", "N"), g.created_at_ms)) {
    return Status(Code::kInternal, table +
                                       ": a gateway item lacks sk, secret_sha256, "
                                       "elections or created_at");
  }
  g.id = std::string(*sk);
  g.secret_sha256 = std::string(*hash);
  if (item.contains("revoked_at") && !ParseI64(Attr(item, "revoked_at", "N"), g.revoked_at_ms)) {
    return Status(Code::kInternal, table + ": gateway " + g.id + " has a bad revoked_at");
  }
  std::string_view rest(*elections);
  while (!rest.empty()) {
    auto comma = rest.find(',');
    g.elections.emplace_back(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  return g;
}

Result<json::object> ParseAnswer(const std::string& body, std::string_view what) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) {
    return Status(Code::kInternal, std::string(what) + ": the answer is not a JSON object");
  }
  return std::move(v.as_object());
}

}  // namespace

TableSpec DynamoGateways::Spec(std::string_view table_prefix) {
  return PayPerRequestTable(std::string(table_prefix) + "gateways", "pk", "sk", "S");
}

DynamoGateways::DynamoGateways(DynamoClient& client, std::string_view table_prefix)
    : client_(client), table_(std::string(table_prefix) + "gateways") {}

Status DynamoGateways::Create(const Gateway& g) {
  json::object item = Key(kGateway, g.id);
  item["secret_sha256"] = S(g.secret_sha256);
  item["created_at"] = N(g.created_at_ms);
  std::string elections;
  for (size_t i = 0; i < g.elections.size(); ++i) {
    if (i > 0) elections += ',';
    elections += g.elections[i];
  }
  item["elections"] = S(elections);
  json::object req{{"TableName", table_},
                   {"Item", std::move(item)},
                   {"ConditionExpression", "attribute_not_exists(pk)"}};
  auto r = client_.Call({"PutItem", json::serialize(req)});
  if (r.ok()) return Status::Ok();
  if (r.status().code() != Code::kConflict) return r.status();
  // Exists: ours from a retried request whose answer was lost, or another's.
  auto all = List();
  if (all.ok()) {
    for (const auto& other : *all) {
      if (other.id == g.id && other.secret_sha256 == g.secret_sha256) return Status::Ok();
    }
  }
  return Status(Code::kConflict, "gateway " + g.id + " exists (ids are never reused)");
}

Result<Gateway> DynamoGateways::Revoke(std::string_view id, int64_t now_ms) {
  json::object req{
      {"TableName", table_},
      {"Key", Key(kGateway, id)},
      {"UpdateExpression", "SET revoked_at = if_not_exists(revoked_at, :now)"},
      {"ConditionExpression", "attribute_exists(pk)"},
      {"ExpressionAttributeValues", json::object{{":now", N(now_ms == 0 ? 1 : now_ms)}}},
      {"ReturnValues", "ALL_NEW"}};
  auto r = client_.Call({"UpdateItem", json::serialize(req)});
  if (!r.ok()) {
    if (r.status().code() == Code::kConflict) {
      return Status(Code::kNotFound, "no gateway " + std::string(id));
    }
    return r.status();
  }
  auto v = ParseAnswer(*r, "UpdateItem " + table_);
  if (!v.ok()) return v.status();
  const auto* attrs = v->if_contains("Attributes");
  if (attrs == nullptr || !attrs->is_object()) {
    return Status(Code::kInternal, table_ + ": UpdateItem returned no attributes");
  }
  return ParseGateway(attrs->as_object(), table_);
}

Result<std::vector<Gateway>> DynamoGateways::List() {
  std::vector<Gateway> out;
  json::value start;
  for (int page = 0; page < 100000; ++page) {  // bounded by the items; this only to be safe
    json::object req{{"TableName", table_},
                     {"KeyConditionExpression", "pk = :pk"},
                     {"ExpressionAttributeValues", json::object{{":pk", S(kGateway)}}},
                     {"ConsistentRead", true}};
    if (!start.is_null()) req["ExclusiveStartKey"] = start;
    auto r = client_.Call({"Query", json::serialize(req)});
    if (!r.ok()) return r.status();
    auto v = ParseAnswer(*r, "Query " + table_);
    if (!v.ok()) return v.status();
    if (const auto* items = v->if_contains("Items"); items && items->is_array()) {
      for (const auto& item : items->as_array()) {
        if (!item.is_object()) continue;
        auto g = ParseGateway(item.as_object(), table_);
        if (!g.ok()) return g.status();
        out.push_back(std::move(*g));
      }
    }
    const auto* next = v->if_contains("LastEvaluatedKey");
    if (next == nullptr || next->is_null()) break;
    start = *next;
  }
  return out;
}

Result<std::vector<GatewayRef>> DynamoGateways::Find(const std::vector<std::string>& keys) {
  std::vector<GatewayRef> out(keys.size());
  std::unordered_map<std::string, std::vector<size_t>> at;  // pk -> indexes (keys may repeat)
  std::vector<json::object> request;
  for (size_t i = 0; i < keys.size(); ++i) {
    std::string pk = RefPk(keys[i]);
    auto [it, fresh] = at.try_emplace(pk);
    it->second.push_back(i);
    if (fresh) request.push_back(Key(pk, "-"));
  }
  if (request.empty()) return out;
  auto items = BatchGet(client_, table_, std::move(request), "pk, vote_id, fp", {});
  if (!items.ok()) return items.status();
  for (const auto& item : *items) {
    const json::string* pk = Attr(item, "pk", "S");
    const json::string* id = Attr(item, "vote_id", "S");
    const json::string* fp = Attr(item, "fp", "S");
    if (pk == nullptr || id == nullptr) continue;
    auto it = at.find(std::string(*pk));
    if (it == at.end()) continue;
    for (size_t i : it->second) {
      out[i] = {std::string(*id), fp == nullptr ? std::string() : std::string(*fp)};
    }
  }
  return out;
}

Status DynamoGateways::Record(const std::vector<std::pair<std::string, GatewayRef>>& refs) {
  // Conditional puts, one per ref, sent concurrently (BatchWriteItem takes no condition): a ref
  // stored already, by a racing node or an earlier write, keeps its first vote_id, as
  // GatewayRefs promises.
  std::vector<DynamoRequest> puts;
  puts.reserve(refs.size());
  std::unordered_map<std::string, bool> seen;
  for (const auto& [key, ref] : refs) {
    std::string pk = RefPk(key);
    if (!seen.try_emplace(pk, true).second) continue;
    json::object item = Key(pk, "-");
    item["vote_id"] = S(ref.vote_id);
    item["fp"] = S(ref.fingerprint);
    json::object req{{"TableName", table_},
                     {"Item", std::move(item)},
                     {"ConditionExpression", "attribute_not_exists(pk)"}};
    puts.push_back({"PutItem", json::serialize(req)});
  }
  for (auto& r : client_.CallAll(puts)) {
    if (!r.ok() && r.status().code() != Code::kConflict) return r.status();
  }
  return Status::Ok();
}

}  // namespace urna::dynamodb
