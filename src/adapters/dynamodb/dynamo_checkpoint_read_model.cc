#include "adapters/dynamodb/dynamo_checkpoint_read_model.h"

#include <spdlog/spdlog.h>

#include <boost/json/serialize.hpp>

#include "adapters/dynamodb/dynamo_items.h"

namespace urna::dynamodb {

namespace json = boost::json;

CheckpointReadModel::CheckpointReadModel(DynamoClient& client, StateTables tables,
                                         const Clock& clock, std::chrono::milliseconds refresh)
    : client_(client), tables_(std::move(tables)), clock_(clock), refresh_(refresh) {}

CheckpointReadModel::~CheckpointReadModel() { Stop(); }

Status CheckpointReadModel::Start() {
  Status s = Refresh();
  if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
  return s;
}

void CheckpointReadModel::Stop() {
  {
    MutexLock lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.NotifyAll();
  if (thread_.joinable()) thread_.join();
}

void CheckpointReadModel::Run() {
  MutexLock lock(stop_mu_);
  for (;;) {
    auto deadline = std::chrono::steady_clock::now() + refresh_;
    while (!stopping_ && stop_cv_.WaitUntil(stop_mu_, deadline)) {
    }
    if (stopping_) return;
    lock.Unlock();
    if (auto s = Refresh(); !s.ok()) {
      spdlog::warn("results from checkpoints: refresh failed: {}", s.message());
    }
    lock.Lock();
  }
}

Status CheckpointReadModel::Refresh() {
  std::map<std::string, ElectionTally, std::less<>> next;
  std::optional<json::object> start;
  for (int page = 0; page < 10000; ++page) {  // a bound far above any partition count
    json::object req{{"TableName", tables_.checkpoints()},
                     {"KeyConditionExpression", "#t = :t"},
                     {"ExpressionAttributeNames", json::object{{"#t", "topic"}}},
                     {"ExpressionAttributeValues", json::object{{":t", items::S(tables_.topic)}}},
                     {"ConsistentRead", true}};
    if (start) req["ExclusiveStartKey"] = *start;
    auto res = client_.Call({"Query", json::serialize(req)});
    if (!res.ok()) return res.status();
    auto o = items::ParseObject(*res, "Query response");
    if (!o.ok()) return o.status();
    if (const json::value* its = o->if_contains("Items"); its != nullptr && its->is_array()) {
      for (const auto& item : its->as_array()) {
        if (!item.is_object()) return Status(Code::kInternal, "corrupt checkpoint Query");
        auto c = items::CheckpointFromItem(item.as_object());
        if (!c.ok()) return c.status();
        for (const auto& [election, counts] : c->tallies) {
          ElectionTally& t = next[election];
          for (const auto& [option, n] : counts) t.votes[option] += n;
          auto ch = c->changed.find(election);
          t.seq += ch == c->changed.end() ? c->next_offset : ch->second;
        }
      }
    }
    const json::value* last = o->if_contains("LastEvaluatedKey");
    if (last == nullptr || !last->is_object()) break;
    start = last->as_object();
  }
  const int64_t now = clock_.NowMs();
  MutexLock lock(mu_);
  for (auto& [election, t] : next) {
    auto old = tallies_.find(election);
    t.updated_at_ms =
        old != tallies_.end() && old->second.seq == t.seq ? old->second.updated_at_ms : now;
  }
  tallies_ = std::move(next);
  loaded_ = true;
  return Status::Ok();
}

Status CheckpointReadModel::Apply(const PartitionTally&) { return Status::Ok(); }

Result<ElectionTally> CheckpointReadModel::Get(std::string_view election_id) {
  MutexLock lock(mu_);
  if (!loaded_) return Status(Code::kUnavailable, "results are not loaded from DynamoDB yet");
  auto it = tallies_.find(election_id);
  if (it == tallies_.end()) return ElectionTally{};
  return it->second;
}

}  // namespace urna::dynamodb
