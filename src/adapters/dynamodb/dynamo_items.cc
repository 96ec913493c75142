#include "adapters/dynamodb/dynamo_items.h"

#include <boost/json/parse.hpp>
#include <charconv>

#include "adapters/dynamodb/dynamo_state_tables.h"

namespace urna::dynamodb::items {
namespace {

Outcome OutcomeFrom(std::string_view s) {
  if (s == "counted") return Outcome::kCounted;
  if (s == "duplicate") return Outcome::kDuplicate;
  if (s == "rejected") return Outcome::kRejected;
  return Outcome::kPending;
}

std::optional<int64_t> ParseN(const json::value* v) {
  if (v == nullptr || !v->is_object()) return std::nullopt;
  const json::value* n = v->as_object().if_contains("N");
  if (n == nullptr || !n->is_string()) return std::nullopt;
  std::string_view s = n->as_string();
  int64_t out = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return out;
}

const json::object* MapOf(const json::object& item, std::string_view name) {
  const json::value* v = item.if_contains(name);
  if (v == nullptr || !v->is_object()) return nullptr;
  const json::value* m = v->as_object().if_contains("M");
  return m != nullptr && m->is_object() ? &m->as_object() : nullptr;
}

Status Corrupt(std::string_view what) {
  return Status(Code::kInternal, "corrupt DynamoDB item: " + std::string(what));
}

}  // namespace

json::object S(std::string_view v) { return json::object{{"S", v}}; }
json::object N(int64_t v) { return json::object{{"N", std::to_string(v)}}; }
json::object N(uint64_t v) { return json::object{{"N", std::to_string(v)}}; }

std::optional<std::string> GetS(const json::object& item, std::string_view name) {
  const json::value* v = item.if_contains(name);
  if (v == nullptr || !v->is_object()) return std::nullopt;
  const json::value* s = v->as_object().if_contains("S");
  if (s == nullptr || !s->is_string()) return std::nullopt;
  return std::string(s->as_string());
}

std::optional<int64_t> GetN(const json::object& item, std::string_view name) {
  return ParseN(item.if_contains(name));
}

Result<json::object> ParseObject(std::string_view body, std::string_view what) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) {
    return Status(Code::kInternal, "DynamoDB " + std::string(what) + ": not a JSON object");
  }
  return std::move(v.as_object());
}

Result<std::optional<json::object>> ItemOf(std::string_view get_item_response) {
  auto o = ParseObject(get_item_response, "GetItem response");
  if (!o.ok()) return o.status();
  json::value* item = o->if_contains("Item");
  if (item == nullptr) return std::optional<json::object>();
  if (!item->is_object()) return Corrupt("GetItem Item is not an object");
  return std::optional<json::object>(std::move(item->as_object()));
}

json::object LedgerItem(const ProcessedVote& pv, uint32_t shards) {
  const VoteEvent& v = pv.entry.vote;
  return json::object{{"pk", S(LedgerHashKey(v.election_id, v.voter_id, shards))},
                      {"voter", S(LedgerSortKey(v.voter_id, pv.ordinal))},
                      {"election", S(v.election_id)},
                      {"vote_id", S(v.vote_id)},
                      {"option", S(v.option_id)},
                      {"cast_at", N(v.ingest_time_ms)},
                      {"partition", N(uint64_t{pv.entry.partition})},
                      {"offset", N(pv.entry.offset)}};
}

json::object ReceiptItem(const ProcessedVote& pv) {
  const VoteEvent& v = pv.entry.vote;
  // Empty strings are left out: older DynamoDB-compatible servers refuse them as values.
  json::object o{{"vote_id", S(v.vote_id)},
                 {"outcome", S(ToString(pv.outcome))},
                 {"cast_at", N(v.ingest_time_ms)},
                 {"partition", N(uint64_t{pv.entry.partition})},
                 {"offset", N(pv.entry.offset)}};
  if (!v.election_id.empty()) o["election"] = S(v.election_id);
  if (!v.voter_id.empty()) o["voter"] = S(v.voter_id);
  if (!v.option_id.empty()) o["option"] = S(v.option_id);
  if (!pv.reason.empty()) o["reason"] = S(pv.reason);
  if (!pv.counted_vote_id.empty()) o["counted_vote_id"] = S(pv.counted_vote_id);
  // policy: a voter's later counted vote: where its ledger row is (the row decides, see
  // DynamoLedger::FindProcessed).
  if (pv.outcome == Outcome::kCounted) o["n"] = N(pv.ordinal);
  return o;
}

Result<Receipt> ReceiptFromLedgerItem(const json::object& item) {
  auto vote_id = GetS(item, "vote_id");
  auto election = GetS(item, "election");
  auto voter = GetS(item, "voter");
  auto cast_at = GetN(item, "cast_at");
  if (!vote_id || !election || !voter || !cast_at) return Corrupt("ledger item");
  Receipt r;
  r.vote_id = std::move(*vote_id);
  r.election_id = std::move(*election);
  r.voter_id = std::string(ParseLedgerSortKey(*voter).first);  // "<voter>#<n>" for later votes
  r.option_id = GetS(item, "option").value_or("");
  r.outcome = Outcome::kCounted;
  r.ingest_time_ms = *cast_at;
  return r;
}

Result<Receipt> ReceiptFromReceiptItem(const json::object& item) {
  auto vote_id = GetS(item, "vote_id");
  auto outcome = GetS(item, "outcome");
  auto cast_at = GetN(item, "cast_at");
  if (!vote_id || !outcome || !cast_at) return Corrupt("receipt item");
  Receipt r;
  r.vote_id = std::move(*vote_id);
  r.election_id = GetS(item, "election").value_or("");
  r.voter_id = GetS(item, "voter").value_or("");
  r.option_id = GetS(item, "option").value_or("");
  r.outcome = OutcomeFrom(*outcome);
  r.reason = GetS(item, "reason").value_or("");
  r.counted_vote_id = GetS(item, "counted_vote_id").value_or("");
  r.ingest_time_ms = *cast_at;
  return r;
}

std::optional<LogPosition> PositionOf(const json::object& item) {
  auto p = GetN(item, "partition");
  auto o = GetN(item, "offset");
  if (!p || !o || *p < 0 || *o < 0) return std::nullopt;
  return LogPosition{static_cast<uint32_t>(*p), static_cast<uint64_t>(*o)};
}

json::object CheckpointKey(std::string_view topic, uint32_t partition) {
  return json::object{{"topic", S(topic)}, {"partition", N(uint64_t{partition})}};
}

namespace {

json::object CountsMap(const OptionCounts& counts) {
  json::object options;
  for (const auto& [option, n] : counts) options[option] = N(n);
  return json::object{{"M", std::move(options)}};
}

Result<OptionCounts> CountsFrom(const json::value& v) {
  const json::value* m = v.is_object() ? v.as_object().if_contains("M") : nullptr;
  if (m == nullptr || !m->is_object()) return Corrupt("tally counts");
  OptionCounts counts;
  for (const auto& [option, n] : m->as_object()) {
    auto count = ParseN(&n);
    if (!count || *count < 0) return Corrupt("tally count");
    counts[std::string(option)] = static_cast<uint64_t>(*count);
  }
  return counts;
}

// A cell's attributes (counts, changed, sealed) in `o`, and back.
void PutCell(json::object& o, const ElectionCell& cell) {
  if (cell.counts) {
    o["counts"] = CountsMap(*cell.counts);
    o["changed"] = N(cell.changed);
  }
  if (cell.sealed) o["sealed"] = N(*cell.sealed);
}

Result<ElectionCell> CellFrom(const json::object& o) {
  ElectionCell cell;
  if (const json::value* c = o.if_contains("counts")) {
    auto counts = CountsFrom(*c);
    if (!counts.ok()) return counts.status();
    cell.counts = std::move(*counts);
    auto changed = GetN(o, "changed");
    if (!changed || *changed < 0) return Corrupt("tally without its changed offset");
    cell.changed = static_cast<uint64_t>(*changed);
  }
  if (o.contains("sealed")) {
    auto at = GetN(o, "sealed");
    if (!at) return Corrupt("tally seal");
    cell.sealed = *at;
  }
  return cell;
}

}  // namespace

json::object CheckpointItem(std::string_view topic, uint32_t partition, const Checkpoint& c) {
  json::object batch;
  for (const auto& [election, cell] : c.batch) {
    json::object m;
    PutCell(m, cell);
    batch[election] = json::object{{"M", std::move(m)}};
  }
  json::object item = CheckpointKey(topic, partition);
  item["next_offset"] = N(c.next_offset);
  item["from_offset"] = N(c.from_offset);
  if (c.at_ms != 0) item["at"] = N(c.at_ms);
  item["batch"] = json::object{{"M", std::move(batch)}};
  return item;
}

Result<Checkpoint> CheckpointFromItem(const json::object& item) {
  Checkpoint c;
  auto next = GetN(item, "next_offset");
  if (!next || *next < 0) return Corrupt("checkpoint without next_offset");
  c.next_offset = static_cast<uint64_t>(*next);
  auto from = GetN(item, "from_offset");
  if (!from || *from < 0 || *from > *next) return Corrupt("checkpoint without from_offset");
  c.from_offset = static_cast<uint64_t>(*from);
  if (item.contains("at")) {
    auto at = GetN(item, "at");
    if (!at || *at < 0) return Corrupt("checkpoint time");
    c.at_ms = *at;
  }
  if (const json::object* b = MapOf(item, "batch")) {
    for (const auto& [election, v] : *b) {
      const json::value* m = v.is_object() ? v.as_object().if_contains("M") : nullptr;
      if (m == nullptr || !m->is_object()) return Corrupt("checkpoint batch");
      auto cell = CellFrom(m->as_object());
      if (!cell.ok()) return cell.status();
      c.batch[std::string(election)] = std::move(*cell);
    }
  }
  return c;
}

json::object TallyUpdate(const std::string& table, std::string_view topic, uint32_t partition,
                         std::string_view election, const ElectionCell& cell, uint64_t offset,
                         int64_t at_ms) {
  std::string set = "SET #o = :n";
  json::object names{{"#o", "offset"}};
  json::object values{{":n", N(offset)}};
  if (cell.counts) {
    set += ", #c = :c, #ch = :ch";
    names["#c"] = "counts";
    names["#ch"] = "changed";
    values[":c"] = CountsMap(*cell.counts);
    values[":ch"] = N(cell.changed);
    if (at_ms != 0) {
      // `changed_at_for` names the `changed` this time belongs to: an older processor (rolling
      // upgrade or rollback) updates counts and changed but not these two, and the reader then
      // sees they differ and treats the time as unknown rather than freezing updated_at.
      set += ", #ca = :ca, #cf = :ch";
      names["#ca"] = "changed_at";
      names["#cf"] = "changed_at_for";
      values[":ca"] = N(at_ms);
    }
  }
  if (cell.sealed) {
    set += ", #s = :s";
    names["#s"] = "sealed";
    values[":s"] = N(*cell.sealed);
  }
  return json::object{
      {"TableName", table},
      {"Key", json::object{{"pk", S(TallyHashKey(topic, partition))}, {"election", S(election)}}},
      {"UpdateExpression", set},
      {"ConditionExpression", "attribute_not_exists(pk) OR #o < :n"},
      {"ExpressionAttributeNames", std::move(names)},
      {"ExpressionAttributeValues", std::move(values)}};
}

Result<TallyItem> TallyFromItem(const json::object& item) {
  TallyItem t;
  auto election = GetS(item, "election");
  auto offset = GetN(item, "offset");
  if (!election || !offset || *offset < 0) return Corrupt("tally item");
  t.election = std::move(*election);
  t.offset = static_cast<uint64_t>(*offset);
  auto cell = CellFrom(item);
  if (!cell.ok()) return cell.status();
  t.cell = std::move(*cell);
  if (item.contains("changed_at")) {
    auto at = GetN(item, "changed_at");
    if (!at || *at < 0) return Corrupt("tally time");
    // The time is for the counts only when it was written with them (same `changed`); else an
    // older writer changed the counts after it, and the time is unknown (0).
    auto for_changed = GetN(item, "changed_at_for");
    if (for_changed && *for_changed >= 0 && static_cast<uint64_t>(*for_changed) == t.cell.changed) {
      t.changed_at_ms = *at;
    }
  }
  return t;
}

}  // namespace urna::dynamodb::items
