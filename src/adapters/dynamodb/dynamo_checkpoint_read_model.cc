#include "adapters/dynamodb/dynamo_checkpoint_read_model.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include <boost/json/serialize.hpp>

#include "adapters/dynamodb/dynamo_items.h"
#include "adapters/dynamodb/dynamo_tallies.h"

namespace urna::dynamodb {

namespace json = boost::json;

CheckpointReadModel::CheckpointReadModel(DynamoClient& client, StateTables tables,
                                         const Clock& clock, Catalog& catalog, uint32_t partitions,
                                         std::chrono::milliseconds refresh)
    : client_(client),
      tables_(std::move(tables)),
      clock_(clock),
      catalog_(catalog),
      partitions_(partitions),
      refresh_(refresh) {}

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
  std::vector<std::string> ids;
  {
    auto listed = catalog_.List();
    MutexLock lock(mu_);
    for (const auto& e : listed) {
      // A draft has nothing counted; a settled election's counts are final and already here.
      if (e->WasOpened() && !settled_.contains(e->id)) ids.push_back(e->id);
    }
  }
  auto rows = ReadElectionTallies(client_, tables_, partitions_, ids);
  if (!rows.ok()) return rows.status();
  std::map<std::string, ElectionTally, std::less<>> next;
  std::map<std::string, uint32_t, std::less<>> sealed;  // election -> partitions past its seal
  // election -> whether every item with counts says when they changed (items written before
  // the time was stored do not).
  std::map<std::string, bool, std::less<>> stamped;
  for (const auto& id : ids) next[id];
  for (const auto& t : *rows) {
    ElectionTally& tally = next[t.election];
    if (t.cell.counts) {
      for (const auto& [option, n] : *t.cell.counts) tally.votes[option] += n;
      tally.seq += t.cell.changed;
      // updated_at: when the counts last changed in any partition, stored with them, so a
      // restart of this node reads the same time.
      tally.updated_at_ms = std::max(tally.updated_at_ms, t.changed_at_ms);
      bool& known = stamped.try_emplace(t.election, true).first->second;
      known = known && t.changed_at_ms != 0;
    }
    if (t.cell.sealed) ++sealed[t.election];
  }
  const int64_t now = clock_.NowMs();
  MutexLock lock(mu_);
  for (auto& [election, t] : next) {
    auto old = tallies_.find(election);
    auto s_it = stamped.find(election);
    if (s_it == stamped.end() || !s_it->second) {
      // Nothing counted, or counts whose time is unknown: since this node saw them change.
      t.updated_at_ms =
          old != tallies_.end() && old->second.seq == t.seq ? old->second.updated_at_ms : now;
    } else if (old != tallies_.end() && old->second.seq != t.seq) {
      // The counts changed: never before the time shown for earlier counts (a partition's new
      // owner may write a time from a clock behind the old owner's).
      t.updated_at_ms = std::max(t.updated_at_ms, old->second.updated_at_ms);
    }
    auto s = sealed.find(election);
    if (s != sealed.end() && s->second >= partitions_) settled_.insert(election);
    tallies_[election] = std::move(t);
  }
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
