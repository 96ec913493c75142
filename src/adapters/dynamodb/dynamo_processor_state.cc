#include "adapters/dynamodb/dynamo_processor_state.h"

#include <boost/json/serialize.hpp>
#include <chrono>
#include <thread>
#include <unordered_map>

#include "adapters/dynamodb/dynamo_batch.h"
#include "adapters/dynamodb/dynamo_batch_get.h"
#include "adapters/dynamodb/dynamo_items.h"

namespace urna::dynamodb {

namespace json = boost::json;
using items::Checkpoint;

DynamoProcessorState::DynamoProcessorState(DynamoClient& client, StateTables tables)
    : client_(client), tables_(std::move(tables)) {}

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
  auto c = ReadCheckpoint(partition);
  if (!c.ok()) return c.status();
  PartitionState st;
  st.tally.partition = partition;
  st.tally.next_offset = c->next_offset;
  st.tally.elections = c->tallies;
  st.sealed = c->sealed;
  MutexLock lock(mu_);
  checkpoints_[partition] = std::make_shared<const Checkpoint>(std::move(*c));
  return st;
}

Result<std::vector<std::optional<std::string>>> DynamoProcessorState::CountedVoteIds(
    uint32_t partition, uint64_t from, const std::vector<VoterKey>& keys) {
  // One lookup per distinct voter (BatchGetItem refuses a key twice); seal entries have no voter.
  std::unordered_map<std::string, std::optional<std::string>> found;  // "pk\0voter" -> vote_id
  std::vector<json::object> lookups;
  for (const auto& k : keys) {
    if (k.election_id.empty() || k.voter_id.empty()) continue;
    std::string pk = LedgerHashKey(k.election_id, k.voter_id, tables_.ledger_shards);
    if (found.try_emplace(pk + '\0' + k.voter_id).second) {
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
    found[*pk + '\0' + *voter] = std::move(*vote_id);
  }
  std::vector<std::optional<std::string>> out(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    const auto& k = keys[i];
    if (k.election_id.empty() || k.voter_id.empty()) continue;
    auto it = found.find(LedgerHashKey(k.election_id, k.voter_id, tables_.ledger_shards) + '\0' +
                         k.voter_id);
    if (it != found.end()) out[i] = it->second;
  }
  return out;
}

Status DynamoProcessorState::WriteVotes(const PartitionCommit& c) {
  std::vector<DynamoRequest> puts;
  std::vector<const ProcessedVote*> counted;
  std::vector<json::object> receipts;
  std::unordered_map<std::string_view, size_t> receipt_of;  // vote_id -> index (last wins)
  for (const auto& pv : c.votes) {
    if (pv.outcome == Outcome::kCounted) {
      json::object req{
          {"TableName", tables_.ledger()},
          {"Item", items::LedgerItem(pv, tables_.ledger_shards)},
          {"ConditionExpression", "attribute_not_exists(pk) OR vote_id = :v"},
          {"ExpressionAttributeValues", json::object{{":v", items::S(pv.entry.vote.vote_id)}}}};
      puts.push_back({"PutItem", json::serialize(req)});
      counted.push_back(&pv);
    } else if (!pv.entry.vote.vote_id.empty()) {
      auto [it, fresh] = receipt_of.try_emplace(pv.entry.vote.vote_id, receipts.size());
      if (fresh) {
        receipts.push_back(items::ReceiptItem(pv));
      } else {
        receipts[it->second] = items::ReceiptItem(pv);
      }
    }
  }
  // The ledger puts all in flight at once, then the receipts' batches.
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
  std::vector<std::string> writes;
  writes.reserve(receipts.size());
  for (auto& item : receipts) {
    writes.push_back(
        json::serialize(json::object{{"PutRequest", json::object{{"Item", std::move(item)}}}}));
  }
  Status receipts_status = BatchWriteAll(client_, tables_.receipts(), writes);
  if (!ledger_status.ok()) return ledger_status;
  return receipts_status;
}

Status DynamoProcessorState::WriteCheckpoint(const PartitionCommit& c) {
  std::shared_ptr<const Checkpoint> base;
  {
    MutexLock lock(mu_);
    auto it = checkpoints_.find(c.partition);
    if (it != checkpoints_.end()) base = it->second;
  }
  if (base == nullptr || base->next_offset != c.from_offset) {
    auto stored = ReadCheckpoint(c.partition);
    if (!stored.ok()) return stored.status();
    base = std::make_shared<const Checkpoint>(std::move(*stored));
    MutexLock lock(mu_);
    checkpoints_[c.partition] = base;
  }
  if (base->next_offset != c.from_offset) {
    return Status(Code::kConflict, "partition " + std::to_string(c.partition) +
                                       " is checkpointed at " + std::to_string(base->next_offset) +
                                       ", the batch was read from " +
                                       std::to_string(c.from_offset));
  }
  auto next = std::make_shared<Checkpoint>(*base);
  next->next_offset = c.next_offset;
  for (const auto& [election, counts] : c.tally.elections) {
    next->tallies[election] = counts;
    next->changed[election] = c.next_offset;
  }
  for (const auto& seal : c.seals) next->sealed.emplace(seal.election_id, seal.closed_at_ms);

  json::object req{{"TableName", tables_.checkpoints()},
                   {"Item", items::CheckpointItem(tables_.topic, c.partition, *next)},
                   {"ConditionExpression",
                    c.from_offset == 0 ? "attribute_not_exists(#t) OR #n = :from" : "#n = :from"},
                   {"ExpressionAttributeValues", json::object{{":from", items::N(c.from_offset)}}}};
  json::object names{{"#n", "next_offset"}};
  if (c.from_offset == 0) names["#t"] = "topic";
  req["ExpressionAttributeNames"] = std::move(names);
  auto res = client_.Call({"PutItem", json::serialize(req)});
  if (res.ok()) {
    MutexLock lock(mu_);
    checkpoints_[c.partition] = std::move(next);
    return Status::Ok();
  }
  {
    MutexLock lock(mu_);
    checkpoints_.erase(c.partition);  // what is stored is unknown now
  }
  if (res.status().code() != Code::kConflict) return res.status();
  // The condition failed: either another processor moved the checkpoint (a zombie's or a stale
  // replay's end), or an earlier attempt of this very put succeeded and its answer was lost.
  auto stored = ReadCheckpoint(c.partition);
  if (!stored.ok()) return stored.status();
  const bool mine = *stored == *next;
  MutexLock lock(mu_);
  checkpoints_[c.partition] = std::make_shared<const Checkpoint>(std::move(*stored));
  if (mine) return Status::Ok();
  return Status(Code::kConflict, "partition " + std::to_string(c.partition) +
                                     " was checkpointed by another processor (now at " +
                                     std::to_string(checkpoints_[c.partition]->next_offset) +
                                     "); reload");
}

Status DynamoProcessorState::Commit(const PartitionCommit& c) {
  if (auto s = WriteVotes(c); !s.ok()) return s;
  return WriteCheckpoint(c);
}

}  // namespace urna::dynamodb
