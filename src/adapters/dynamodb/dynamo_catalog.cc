#include "adapters/dynamodb/dynamo_catalog.h"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <charconv>
#include <cstdint>

#include "adapters/codec/proto_codec.h"
#include "adapters/dynamodb/base64.h"
#include "sync/atomic_max.h"

namespace urna::dynamodb {
namespace json = boost::json;
namespace {

json::object S(std::string_view s) { return {{"S", s}}; }
json::object N(int64_t n) { return {{"N", std::to_string(n)}}; }

// A string attribute of `item` ({"name": {"type": "..."}}), or nullptr.
const json::string* Attr(const json::object& item, std::string_view name, std::string_view type) {
  const auto* a = item.if_contains(name);
  if (a == nullptr || !a->is_object()) return nullptr;
  const auto* v = a->as_object().if_contains(type);
  return v && v->is_string() ? &v->as_string() : nullptr;
}

// The election as stored at `version`: the copy Get/List hand out, carrying the version its
// Update is conditioned on.
std::shared_ptr<const Election> AtVersion(Election e, int64_t version) {
  e.catalog_version = static_cast<uint64_t>(version);
  return std::make_shared<const Election>(std::move(e));
}

}  // namespace

// An item as read, before decoding.
struct StoredElection {
  std::string id;
  std::string bytes;
  int64_t version = 0;
  bool deleted = false;  // a tombstone (admin: Delete), without bytes
};

namespace {

// Whether `item` is a tombstone: "deleted": {"BOOL": true}.
bool IsTombstone(const json::object& item) {
  const auto* a = item.if_contains("deleted");
  if (a == nullptr || !a->is_object()) return false;
  const auto* v = a->as_object().if_contains("BOOL");
  return v != nullptr && v->is_bool() && v->as_bool();
}

Result<StoredElection> ParseItem(const json::object& item) {
  if (IsTombstone(item)) {
    const json::string* id = Attr(item, "id", "S");
    const json::string* v = Attr(item, "version", "N");
    StoredElection s;
    s.deleted = true;
    if (id == nullptr || v == nullptr) {
      return Status(Code::kInternal, "elections tombstone without id or version");
    }
    s.id = std::string(*id);
    auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), s.version);
    if (ec != std::errc() || end != v->data() + v->size()) {
      return Status(Code::kInternal, "elections tombstone " + s.id + ": malformed version");
    }
    return s;
  }
  const json::string* id = Attr(item, "id", "S");
  const json::string* b = Attr(item, "election", "B");
  const json::string* v = Attr(item, "version", "N");
  std::string name = id ? std::string(*id) : "?";
  if (!id || !b || !v) {
    return Status(Code::kInternal, "elections item " + name + ": id, election or version missing");
  }
  StoredElection s;
  s.id = std::string(*id);
  auto bytes = Base64Decode(*b);
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), s.version);
  if (!bytes || ec != std::errc() || end != v->data() + v->size()) {
    return Status(Code::kInternal, "elections item " + name + ": malformed election or version");
  }
  s.bytes = std::move(*bytes);
  return s;
}

}  // namespace

TableSpec DynamoCatalog::Spec(std::string_view table_prefix) {
  std::string name = std::string(table_prefix) + "elections";
  json::object req{
      {"TableName", name},
      {"AttributeDefinitions",
       json::array{json::object{{"AttributeName", "id"}, {"AttributeType", "S"}}}},
      {"KeySchema", json::array{json::object{{"AttributeName", "id"}, {"KeyType", "HASH"}}}},
      {"BillingMode", "PAY_PER_REQUEST"}};
  return {name, json::serialize(req)};
}

DynamoCatalog::DynamoCatalog(DynamoClient& client, std::string table, DynamoCatalogOptions options)
    : client_(client), table_(std::move(table)), options_(options) {}

Result<std::unique_ptr<DynamoCatalog>> DynamoCatalog::Open(DynamoClient& client,
                                                           std::string_view table_prefix,
                                                           DynamoCatalogOptions options) {
  if (options.refresh < std::chrono::milliseconds(1)) {
    return Status(Code::kInvalidArgument, "catalog refresh interval must be at least 1 ms");
  }
  std::unique_ptr<DynamoCatalog> c(
      new DynamoCatalog(client, std::string(table_prefix) + "elections", options));
  if (auto s = c->Refresh(); !s.ok()) return s;
  c->refresher_ = std::thread([p = c.get()] { p->RefreshLoop(); });
  return c;
}

DynamoCatalog::~DynamoCatalog() {
  {
    MutexLock lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.NotifyAll();
  if (refresher_.joinable()) refresher_.join();
}

void DynamoCatalog::RefreshLoop() {
  MutexLock lock(stop_mu_);
  while (!stopping_) {
    stop_cv_.WaitUntil(stop_mu_, std::chrono::steady_clock::now() + options_.refresh);
    if (stopping_) break;
    lock.Unlock();
    // Two attempts: the refresh comes again at its next tick, and the destructor waits for it.
    Status s = Refresh(/*max_attempts=*/2);
    lock.Lock();
    if (!s.ok() && (refresh_error_.ok() || refresh_error_.message() != s.message())) {
      spdlog::warn("catalog {}: refresh failed, serving the last view: {}", table_, s.message());
    } else if (s.ok() && !refresh_error_.ok()) {
      spdlog::info("catalog {}: refresh works again", table_);
    }
    refresh_error_ = s;
  }
}

Status DynamoCatalog::last_refresh_error() {
  MutexLock lock(stop_mu_);
  return refresh_error_;
}

Status DynamoCatalog::Refresh() { return Refresh(/*max_attempts=*/0); }

Status DynamoCatalog::Refresh(int max_attempts) {
  const uint64_t number = refreshes_begun_.fetch_add(1, std::memory_order_acq_rel) + 1;
  Status s = ScanIntoCache(max_attempts);
  // However it ended (after the merge when the table was read). Refreshes may overlap (Refresh
  // is public): the newest number is kept.
  RaiseTo(refreshes_ended_, number, std::memory_order_acq_rel);
  return s;
}

Status DynamoCatalog::ScanIntoCache(int max_attempts) {
  std::vector<StoredElection> found;
  Status bad_item;
  json::value start;  // LastEvaluatedKey of the previous page
  // Pages are bounded by DynamoDB (1 MB each); the loop by the table's size, and to be safe:
  for (int page = 0; page < 100000; ++page) {
    json::object req{{"TableName", table_}, {"ConsistentRead", true}};
    if (!start.is_null()) req["ExclusiveStartKey"] = start;
    auto r = client_.Call({"Scan", json::serialize(req), max_attempts});
    if (!r.ok()) return r.status();
    boost::system::error_code ec;
    json::value v = json::parse(*r, ec);
    if (ec || !v.is_object()) return Status(Code::kInternal, "Scan " + table_ + ": not JSON");
    if (const auto* items = v.as_object().if_contains("Items"); items && items->is_array()) {
      for (const auto& item : items->as_array()) {
        if (!item.is_object()) continue;
        auto s = ParseItem(item.as_object());
        if (s.ok()) {
          found.push_back(std::move(*s));
        } else {
          bad_item = s.status();
        }
      }
    }
    const auto* next = v.as_object().if_contains("LastEvaluatedKey");
    if (next == nullptr || next->is_null()) break;
    start = *next;
  }
  for (auto& s : found) {
    {
      ReaderLock lock(mu_);
      auto it = cache_.find(s.id);
      if (it != cache_.end() && it->second.version >= s.version) continue;  // nothing new
    }
    Entry e;
    e.version = s.version;
    if (s.deleted) {
      WriterLock lock(mu_);
      Merge(s.id, std::move(e));  // a tombstone: Get and List no longer see it
      continue;
    }
    auto election = codec::DecodeElection(s.bytes);
    if (!election.ok()) {
      bad_item =
          Status(Code::kInternal, "elections item " + s.id + ": " + election.status().message());
      continue;
    }
    e.election = AtVersion(std::move(*election), s.version);
    e.bytes = std::move(s.bytes);
    WriterLock lock(mu_);
    Merge(s.id, std::move(e));
  }
  return bad_item;
}

void DynamoCatalog::Merge(const std::string& id, Entry e) {
  auto it = cache_.find(id);
  if (it == cache_.end()) {
    cache_.emplace(id, std::move(e));
  } else if (e.version > it->second.version) {
    it->second = std::move(e);
  }
  // An older or equal version (a scan that began before this process's own write) is dropped;
  // entries the scan did not see stay: a deletion is a tombstone, a newer version like any write.
}

Result<DynamoCatalog::Entry> DynamoCatalog::Read(std::string_view id) {
  json::object req{
      {"TableName", table_}, {"Key", json::object{{"id", S(id)}}}, {"ConsistentRead", true}};
  auto r = client_.Call({"GetItem", json::serialize(req)});
  if (!r.ok()) return r.status();
  boost::system::error_code ec;
  json::value v = json::parse(*r, ec);
  if (ec || !v.is_object()) return Status(Code::kInternal, "GetItem " + table_ + ": not JSON");
  const auto* item = v.as_object().if_contains("Item");
  if (item == nullptr || !item->is_object()) {
    return Status(Code::kNotFound, "no election " + std::string(id));
  }
  auto s = ParseItem(item->as_object());
  if (!s.ok()) return s.status();
  if (s->deleted) return Entry{nullptr, s->version, ""};
  auto election = codec::DecodeElection(s->bytes);
  if (!election.ok()) return election.status();
  Entry e;
  e.election = AtVersion(std::move(*election), s->version);
  e.version = s->version;
  e.bytes = std::move(s->bytes);
  return e;
}

Status DynamoCatalog::Put(const Election& election, int64_t version, bool create) {
  std::string bytes = codec::EncodeElection(election);
  json::object req{{"TableName", table_},
                   {"Item", json::object{{"id", S(election.id)},
                                         {"election", json::object{{"B", Base64Encode(bytes)}}},
                                         {"version", N(version)},
                                         {"status", S(ToString(election.status))}}}};
  if (create) {
    req["ConditionExpression"] = "attribute_not_exists(id)";
  } else {
    req["ConditionExpression"] = "version = :v";
    req["ExpressionAttributeValues"] = json::object{{":v", N(version - 1)}};
  }
  auto r = client_.Call({"PutItem", json::serialize(req)});
  Entry mine{AtVersion(election, version), version, bytes};
  if (r.ok()) {
    WriterLock lock(mu_);
    Merge(election.id, std::move(mine));
    return Status::Ok();
  }
  if (r.status().code() != Code::kConflict) return r.status();
  // The condition failed: someone else's change, or this very write applied by an attempt whose
  // answer was lost (the client retried it). Only the stored item can tell.
  auto stored = Read(election.id);
  if (!stored.ok()) {
    if (stored.status().code() == Code::kNotFound && !create) {
      return Status(Code::kNotFound, "no election " + election.id);
    }
    return stored.status();
  }
  bool own = stored->version == version && stored->bytes == bytes;
  const bool tombstone = stored->election == nullptr;
  const int64_t stored_version = stored->version;
  {
    WriterLock lock(mu_);
    Merge(election.id, own ? std::move(mine) : std::move(*stored));
  }
  if (own) return Status::Ok();
  // Deleted meanwhile (or before this process saw it): a create goes over the tombstone.
  if (tombstone && create) return Put(election, stored_version + 1, /*create=*/false);
  if (tombstone) return Status(Code::kNotFound, "no election " + election.id);
  if (create) return Status(Code::kConflict, "election " + election.id + " already exists");
  return Status(Code::kConflict,
                "election " + election.id + " was changed by another process meanwhile; try again");
}

Status DynamoCatalog::Create(const Election& election) {
  MutexLock w(write_mu_);
  int64_t tombstone_version = 0;
  {
    ReaderLock lock(mu_);
    auto it = cache_.find(election.id);
    if (it != cache_.end() && it->second.election != nullptr) {
      return Status(Code::kConflict, "election " + election.id + " already exists");
    }
    if (it != cache_.end()) tombstone_version = it->second.version;
  }
  // Over a tombstone: on its version (Put's conflict path handles one this cache has not seen).
  if (tombstone_version != 0) return Put(election, tombstone_version + 1, /*create=*/false);
  return Put(election, 1, /*create=*/true);
}

Status DynamoCatalog::Delete(const Election& election) {
  if (election.catalog_version == 0 ||
      election.catalog_version >= static_cast<uint64_t>(INT64_MAX)) {
    return Status(Code::kInvalidArgument, "delete of election " + election.id +
                                              " without the catalog_version it was read at");
  }
  MutexLock w(write_mu_);
  return PutTombstone(election.id, static_cast<int64_t>(election.catalog_version) + 1);
}

Status DynamoCatalog::PutTombstone(const std::string& id, int64_t version) {
  json::object req{{"TableName", table_},
                   {"Item", json::object{{"id", S(id)},
                                         {"version", N(version)},
                                         {"deleted", json::object{{"BOOL", true}}},
                                         {"status", S("deleted")}}},
                   {"ConditionExpression", "version = :v"},
                   {"ExpressionAttributeValues", json::object{{":v", N(version - 1)}}}};
  auto r = client_.Call({"PutItem", json::serialize(req)});
  if (r.ok()) {
    WriterLock lock(mu_);
    Merge(id, Entry{nullptr, version, ""});
    return Status::Ok();
  }
  if (r.status().code() != Code::kConflict) return r.status();
  // As Put: someone else's change, or this very write applied by a retried attempt.
  auto stored = Read(id);
  if (!stored.ok()) return stored.status();
  const bool deleted = stored->election == nullptr;
  const bool own = deleted && stored->version == version;
  {
    WriterLock lock(mu_);
    Merge(id, std::move(*stored));
  }
  if (own) return Status::Ok();
  if (deleted) return Status(Code::kNotFound, "no election " + id);
  return Status(Code::kConflict,
                "election " + id + " was changed by another process meanwhile; try again");
}

Status DynamoCatalog::Update(const Election& election) {
  // On the version the caller read, never the cache's latest: a refresh between the caller's
  // Get and this Update must not let a change decided on old content overwrite a newer one.
  if (election.catalog_version == 0 ||
      election.catalog_version >= static_cast<uint64_t>(INT64_MAX)) {
    return Status(Code::kInvalidArgument, "update of election " + election.id +
                                              " without the catalog_version it was read at");
  }
  MutexLock w(write_mu_);
  return Put(election, static_cast<int64_t>(election.catalog_version) + 1, /*create=*/false);
}

Result<std::shared_ptr<const Election>> DynamoCatalog::Get(std::string_view id) {
  ReaderLock lock(mu_);
  auto it = cache_.find(id);
  if (it == cache_.end() || it->second.election == nullptr) {
    return Status(Code::kNotFound, "no election " + std::string(id));
  }
  return it->second.election;
}

Result<std::shared_ptr<const Election>> DynamoCatalog::GetFresh(std::string_view id) {
  auto e = Read(id);
  if (!e.ok()) return e.status();
  WriterLock lock(mu_);
  Merge(std::string(id), std::move(*e));
  auto cached = cache_.find(id)->second.election;  // the newer of the read and the cached one
  if (cached == nullptr) return Status(Code::kNotFound, "no election " + std::string(id));
  return cached;
}

std::vector<std::shared_ptr<const Election>> DynamoCatalog::List() {
  ReaderLock lock(mu_);
  std::vector<std::shared_ptr<const Election>> out;
  out.reserve(cache_.size());
  for (const auto& [id, e] : cache_) {
    if (e.election != nullptr) out.push_back(e.election);  // not a tombstone
  }
  return out;
}

}  // namespace urna::dynamodb
