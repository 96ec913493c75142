#include "adapters/dynamodb/dynamo_processor_state.h"

#include <spdlog/spdlog.h>

#include <boost/json/serialize.hpp>
#include <future>
#include <unordered_map>

#include "adapters/dynamodb/dynamo_batch.h"
#include "adapters/dynamodb/dynamo_batch_get.h"
#include "adapters/dynamodb/dynamo_items.h"
#include "adapters/dynamodb/dynamo_tallies.h"
#include "sync/atomic_max.h"

namespace urna::dynamodb {

namespace json = boost::json;
using items::Checkpoint;

namespace {

// Upper bounds of one batch record entry's bytes in the checkpoint item's JSON: an option (id of
// up to 64 characters and a 20-digit count) and an election (id of up to 64, its cell's names,
// `changed` and `sealed`). The processor cuts a batch before its record could pass the limit.
constexpr size_t kOptionEntryBytes = 100;
constexpr size_t kElectionEntryBytes = 160;
constexpr size_t kCheckpointKeyBytes = 1024;  // topic, partition, offsets, time, attribute names

const Clock& SystemClockInstance() {
  static const SystemClock clock;
  return clock;
}

}  // namespace

DynamoProcessorState::DynamoProcessorState(DynamoClient& client, StateTables tables,
                                           const Clock* clock)
    : client_(client),
      tables_(std::move(tables)),
      clock_(clock != nullptr ? *clock : SystemClockInstance()) {}

DynamoProcessorState::~DynamoProcessorState() = default;

Result<Checkpoint> DynamoProcessorState::ReadCheckpoint(uint32_t partition) {
  json::object req{{"TableName", tables_.checkpoints()},
                   {"Key", items::CheckpointKey(tables_.topic, partition)},
                   {"ConsistentRead", true}};
  auto res = client_.Call({"GetItem", json::serialize(req)});
  if (!res.ok()) return res.status();
  auto item = items::ItemOf(*res);
  if (!item.ok()) return item.status();
  if (!item->has_value()) return Checkpoint{};
  return items::CheckpointFromItem(**item);
}

Result<uint64_t> DynamoProcessorState::NextOffset(uint32_t partition) {
  auto c = ReadCheckpoint(partition);
  if (!c.ok()) return c.status();
  return c->next_offset;
}

Result<PartitionState> DynamoProcessorState::Load(uint32_t partition) {
  // The checkpoint, its batch's tallies rolled forward (a crash may have stopped its writer
  // between the two), then every tally item. Items are never ahead of the checkpoint unless it
  // moved meanwhile (another processor committing): then read again; a state that mixes two
  // checkpoints could not commit anyway (its next_offset is stale), but the recount reads it.
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto c = ReadCheckpoint(partition);
    if (!c.ok()) return c.status();
    if (auto s = ApplyBatch(client_, tables_, partition, *c); !s.ok()) return s;
    auto tallies = ReadPartitionTallies(client_, tables_, partition);
    if (!tallies.ok()) return tallies.status();
    PartitionState st;
    st.tally.partition = partition;
    st.tally.next_offset = c->next_offset;
    bool ahead = false;
    for (auto& t : *tallies) {
      ahead = ahead || t.offset > c->next_offset;
      if (t.cell.counts && !t.cell.counts->empty()) {
        st.tally.elections[t.election] = std::move(*t.cell.counts);
      }
      if (t.cell.sealed) st.sealed[t.election] = *t.cell.sealed;
    }
    if (ahead) continue;
    MutexLock lock(mu_);
    applied_[partition] = c->next_offset;
    return st;
  }
  return Status(Code::kConflict, "partition " + std::to_string(partition) +
                                     " kept moving while it was loaded (another processor?)");
}

size_t DynamoProcessorState::MaxTallyEntriesPerBatch() const {
  const size_t limit = tables_.max_checkpoint_bytes;
  if (limit <= kCheckpointKeyBytes + kElectionEntryBytes + kOptionEntryBytes) return 1;
  return (limit - kCheckpointKeyBytes) / std::max(kOptionEntryBytes, kElectionEntryBytes);
}

Result<std::vector<PriorVotes>> DynamoProcessorState::CountedVotes(
    uint32_t partition, uint64_t from, const std::vector<VoterKey>& keys) {
  // One lookup per distinct voter (BatchGetItem refuses a key twice); seal entries have no voter.
  // "pk\0voter" -> what was counted before the batch, and whether its count is asked for.
  std::unordered_map<std::string, PriorVotes> found;
  std::unordered_map<std::string, bool> many;
  std::vector<json::object> lookups;
  for (const auto& k : keys) {
    if (k.election_id.empty() || k.voter_id.empty()) continue;
    std::string pk = LedgerHashKey(k.election_id, k.voter_id, tables_.ledger_shards);
    std::string id = pk + '\0' + k.voter_id;
    many[id] = many[id] || k.many;
    if (found.try_emplace(std::move(id)).second) {
      lookups.push_back(json::object{{"pk", items::S(pk)}, {"voter", items::S(k.voter_id)}});
    }
  }
  auto rows = BatchGet(client_, tables_.ledger(), std::move(lookups), "pk, voter, vote_id, #p, #o",
                       {{"#p", "partition"}, {"#o", "offset"}});
  if (!rows.ok()) return rows.status();
  for (const auto& item : *rows) {
    auto pk = items::GetS(item, "pk");
    auto voter = items::GetS(item, "voter");
    auto vote_id = items::GetS(item, "vote_id");
    if (!pk || !voter || !vote_id) return Status(Code::kInternal, "corrupt ledger item");
    auto pos = items::PositionOf(item);
    // This partition's row at or after the batch's start: the batch's own (a replay after its
    // checkpoint failed) or one a processor running ahead wrote; not counted before the batch.
    if (pos && pos->partition == partition && pos->offset >= from) continue;
    found[*pk + '\0' + *voter] = PriorVotes{1, std::move(*vote_id)};
  }
  if (auto s = CountLaterVotes(partition, from, many, found); !s.ok()) return s;
  std::vector<PriorVotes> out(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    const auto& k = keys[i];
    if (k.election_id.empty() || k.voter_id.empty()) continue;
    auto it = found.find(LedgerHashKey(k.election_id, k.voter_id, tables_.ledger_shards) + '\0' +
                         k.voter_id);
    if (it != found.end()) out[i] = it->second;
  }
  return out;
}

Status DynamoProcessorState::CountLaterVotes(uint32_t partition, uint64_t from,
                                             const std::unordered_map<std::string, bool>& many,
                                             std::unordered_map<std::string, PriorVotes>& found) {
  // policy: for a voter with a first counted vote whose election counts more than one, their
  // last row before the batch: a Query of their later rows ("<voter>#<n>"), newest first; rows
  // of this partition at or after `from` (the batch's own, or written ahead) are skipped, as
  // above. Ordinals follow log order within the voter's partition, so the first row left is the
  // count.
  struct Pending {
    std::string id, pk, voter;
    std::optional<json::object> last_key;
  };
  std::vector<Pending> pending;
  for (const auto& [id, want] : many) {
    auto f = found.find(id);
    if (!want || f == found.end() || f->second.counted == 0) continue;
    const size_t zero = id.find('\0');
    pending.push_back({id, id.substr(0, zero), id.substr(zero + 1), std::nullopt});
  }
  auto query = [this](const Pending& p) {
    json::object req{
        {"TableName", tables_.ledger()},
        {"KeyConditionExpression", "pk = :pk AND begins_with(voter, :v)"},
        {"ExpressionAttributeValues",
         json::object{{":pk", items::S(p.pk)}, {":v", items::S(p.voter + "#")}}},
        {"ProjectionExpression", "voter, #p, #o"},
        {"ExpressionAttributeNames", json::object{{"#p", "partition"}, {"#o", "offset"}}},
        {"ScanIndexForward", false},
        {"ConsistentRead", true},
        // Up to 1,000 rows a page (DynamoDB also ends a page at 1 MB; a row here is ~100 bytes):
        // a replayed batch's own rows of one voter are skipped in few round trips.
        {"Limit", 1000}};
    if (p.last_key) req["ExclusiveStartKey"] = *p.last_key;
    return DynamoRequest{"Query", json::serialize(req)};
  };
  for (int round = 0; !pending.empty(); ++round) {
    if (round > 1000) return Status(Code::kUnavailable, "too many ledger rows ahead of the batch");
    std::vector<DynamoRequest> reqs;
    for (const auto& p : pending) reqs.push_back(query(p));
    auto res = client_.CallAll(reqs);
    std::vector<Pending> more;
    for (size_t i = 0; i < pending.size(); ++i) {
      if (!res[i].ok()) return res[i].status();
      auto o = items::ParseObject(*res[i], "Query response");
      if (!o.ok()) return o.status();
      bool settled = false;
      if (const json::value* its = o->if_contains("Items"); its != nullptr && its->is_array()) {
        for (const auto& v : its->as_array()) {
          if (!v.is_object()) return Status(Code::kInternal, "corrupt Query response");
          auto pos = items::PositionOf(v.as_object());
          if (pos && pos->partition == partition && pos->offset >= from) continue;
          auto sort = items::GetS(v.as_object(), "voter");
          const uint64_t n = sort ? ParseLedgerSortKey(*sort).second : 0;
          if (n < 2) return Status(Code::kInternal, "corrupt ledger item " + sort.value_or(""));
          found[pending[i].id].counted = n;
          settled = true;
          break;
        }
      }
      const json::value* k = o->if_contains("LastEvaluatedKey");
      if (!settled && k != nullptr && k->is_object()) {
        pending[i].last_key = k->as_object();
        more.push_back(std::move(pending[i]));
      }
    }
    pending = std::move(more);
  }
  return Status::Ok();
}

Status DynamoProcessorState::WriteVotes(const PartitionCommit& c) {
  std::vector<DynamoRequest> puts;
  std::vector<const ProcessedVote*> counted;
  std::vector<json::object> receipts;
  std::unordered_map<std::string_view, size_t> receipt_of;  // vote_id -> index (last wins)
  for (const auto& pv : c.votes) {
    // A voter's later counted vote has a receipt item too: where its ledger item is.
    const bool receipt = pv.outcome != Outcome::kCounted || pv.ordinal > 1;
    if (receipt && !pv.entry.vote.vote_id.empty()) {
      auto [it, fresh] = receipt_of.try_emplace(pv.entry.vote.vote_id, receipts.size());
      if (fresh) {
        receipts.push_back(items::ReceiptItem(pv));
      } else {
        receipts[it->second] = items::ReceiptItem(pv);
      }
    }
    if (pv.outcome == Outcome::kCounted) {
      json::object req{
          {"TableName", tables_.ledger()},
          {"Item", items::LedgerItem(pv, tables_.ledger_shards)},
          {"ConditionExpression", "attribute_not_exists(pk) OR vote_id = :v"},
          {"ExpressionAttributeValues", json::object{{":v", items::S(pv.entry.vote.vote_id)}}}};
      puts.push_back({"PutItem", json::serialize(req)});
      counted.push_back(&pv);
    }
  }
  std::vector<std::string> writes;
  writes.reserve(receipts.size());
  for (auto& item : receipts) {
    writes.push_back(
        json::serialize(json::object{{"PutRequest", json::object{{"Item", std::move(item)}}}}));
  }
  // The receipts' batches on a second thread while the ledger puts are in flight: both are
  // written whatever the other's fate (a receipt item left by a refused attempt is rewritten
  // alike by the retry, and FindReceipt reads the ledger first), and both end before the
  // checkpoint.
  std::future<Status> receipts_done;
  if (!writes.empty()) {
    receipts_done = std::async(std::launch::async, [this, &writes] {
      return BatchWriteAll(client_, tables_.receipts(), writes);
    });
  }
  auto results = client_.CallAll(puts);
  Status ledger_status = Status::Ok();
  for (size_t i = 0; i < results.size(); ++i) {
    if (results[i].ok()) continue;
    if (results[i].status().code() == Code::kConflict) {
      const VoteEvent& v = counted[i]->entry.vote;
      // Another vote of this voter holds the row: decided without it; reload and decide again.
      ledger_status =
          Status(Code::kConflict, "ledger row of voter " + v.voter_id + " in election " +
                                      v.election_id + " holds another vote than " + v.vote_id);
    } else if (ledger_status.ok()) {
      ledger_status = results[i].status();
    }
  }
  Status receipts_status = receipts_done.valid() ? receipts_done.get() : Status::Ok();
  if (!ledger_status.ok()) return ledger_status;
  return receipts_status;
}

Status DynamoProcessorState::Oversized(const PartitionCommit& c, size_t bytes) {
  oversized_.fetch_add(1);
  Status s(Code::kInternal,
           "the checkpoint of partition " + std::to_string(c.partition) + " for the batch [" +
               std::to_string(c.from_offset) + ", " + std::to_string(c.next_offset) +
               ") would be " + std::to_string(bytes) + " bytes, over its limit of " +
               std::to_string(tables_.max_checkpoint_bytes) +
               " (DynamoDB refuses items over 400 KB): " +
               std::to_string(c.tally.elections.size()) + " elections changed in one batch; " +
               "the processor cuts batches at MaxTallyEntriesPerBatch");
  spdlog::error("{}", s.message());
  return s;
}

Status DynamoProcessorState::WriteCheckpoint(const PartitionCommit& c, const Checkpoint& next) {
  std::optional<uint64_t> applied;
  {
    MutexLock lock(mu_);
    if (auto it = applied_.find(c.partition); it != applied_.end()) applied = it->second;
  }
  if (applied != c.from_offset) {
    // A base this object has not rolled forward: read it and bring its tallies up first, so no
    // checkpoint replaces a batch record whose tallies are not applied.
    auto stored = ReadCheckpoint(c.partition);
    if (!stored.ok()) return stored.status();
    if (stored->next_offset != c.from_offset) {
      return Status(Code::kConflict,
                    "partition " + std::to_string(c.partition) + " is checkpointed at " +
                        std::to_string(stored->next_offset) + ", the batch was read from " +
                        std::to_string(c.from_offset));
    }
    if (auto s = ApplyBatch(client_, tables_, c.partition, *stored); !s.ok()) return s;
  }
  json::object req{{"TableName", tables_.checkpoints()},
                   {"Item", items::CheckpointItem(tables_.topic, c.partition, next)},
                   {"ConditionExpression",
                    c.from_offset == 0 ? "attribute_not_exists(#t) OR #n = :from" : "#n = :from"},
                   {"ExpressionAttributeValues", json::object{{":from", items::N(c.from_offset)}}}};
  json::object names{{"#n", "next_offset"}};
  if (c.from_offset == 0) names["#t"] = "topic";
  req["ExpressionAttributeNames"] = std::move(names);
  {
    MutexLock lock(mu_);
    applied_.erase(c.partition);  // what is stored is unknown until the answer
  }
  auto res = client_.Call({"PutItem", json::serialize(req)});
  if (!res.ok()) {
    if (res.status().code() != Code::kConflict) return res.status();
    // The condition failed: either another processor moved the checkpoint (a zombie's or a
    // stale replay's end), or an earlier attempt of this very put succeeded and its answer was
    // lost.
    auto stored = ReadCheckpoint(c.partition);
    if (!stored.ok()) return stored.status();
    if (*stored != next) {
      return Status(Code::kConflict, "partition " + std::to_string(c.partition) +
                                         " was checkpointed by another processor (now at " +
                                         std::to_string(stored->next_offset) + "); reload");
    }
  }
  // Committed. Step (3): the batch's tally items. If they fail, the checkpoint stands and the
  // reload that follows rolls them forward before anything else.
  if (auto s = ApplyBatch(client_, tables_, c.partition, next); !s.ok()) {
    return Status(s.code(),
                  "the batch is committed, its tallies are not applied yet (the next "
                  "Load applies them): " +
                      s.message());
  }
  MutexLock lock(mu_);
  applied_[c.partition] = c.next_offset;
  return Status::Ok();
}

Status DynamoProcessorState::Commit(const PartitionCommit& c) {
  Checkpoint next;
  next.next_offset = c.next_offset;
  next.from_offset = c.from_offset;
  next.at_ms = clock_.NowMs();  // the counts' time: the results' updated_at (tally items)
  for (const auto& [election, counts] : c.tally.elections) {
    next.batch[election].counts = counts;
    next.batch[election].changed = c.next_offset;
  }
  for (const auto& seal : c.seals) next.batch[seal.election_id].sealed = seal.closed_at_ms;
  // The size guard before anything is written: a refused batch leaves nothing behind.
  const size_t bytes =
      json::serialize(items::CheckpointItem(tables_.topic, c.partition, next)).size();
  if (bytes > tables_.max_checkpoint_bytes) return Oversized(c, bytes);
  RaiseTo<uint64_t>(largest_, bytes);
  if (auto s = WriteVotes(c); !s.ok()) return s;
  return WriteCheckpoint(c, next);
}

}  // namespace urna::dynamodb
