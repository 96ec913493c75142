#include "processor/group_processor.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <mutex>

#include "processor/round_pacer.h"

namespace urna {

struct GroupProcessor::Owned {
  Owned(uint32_t p, LogReader& log, ProcessorState& state, Catalog& catalog, ReadModel& rm,
        size_t max_batch)
      : partition(p), proc(p, log, state, catalog, rm, max_batch) {}

  const uint32_t partition;
  PartitionProcessor proc;
  std::atomic<bool> revoked{false};
  std::atomic<bool> last_step_failed{false};  // the last Step returned an error (/healthz)
  std::timed_mutex busy;  // held while a batch is in hand (Step), and by the revocation
  // Under `busy`: the last progress reported to the group, and when.
  uint64_t reported = 0;
  bool reported_any = false;
  std::chrono::steady_clock::time_point reported_at{};
};

GroupProcessor::GroupProcessor(PartitionAssignment& assignment, LogReader& log,
                               ProcessorState& state, Catalog& catalog, ReadModel& read_model,
                               GroupProcessorOptions options)
    : assignment_(assignment),
      log_(log),
      state_(state),
      catalog_(catalog),
      read_model_(read_model),
      opts_(options) {
  opts_.workers = std::max(1, opts_.workers);
}

GroupProcessor::~GroupProcessor() { Stop(); }

Status GroupProcessor::Start() {
  if (started_) return Status(Code::kConflict, "the group processor is already started");
  started_ = true;
  for (int w = 0; w < opts_.workers; ++w) {
    threads_.emplace_back([this, w] {
      pthread_setname_np(pthread_self(), "urna-process");
      Work(w);
    });
  }
  if (auto s = assignment_.Subscribe(*this); !s.ok()) {
    Stop();
    return s;
  }
  read_model_.SetLagSource([this] { return Lag(); });
  return Status::Ok();
}

void GroupProcessor::Stop() {
  if (!started_) return;
  read_model_.SetLagSource(nullptr);  // returns once no call of Lag runs
  assignment_.Unsubscribe();          // revokes every partition: the batches in hand finish first
  stop_ = true;
  for (auto& t : threads_) t.join();
  threads_.clear();
  started_ = false;
}

std::map<uint32_t, uint64_t> GroupProcessor::OnAssigned(const std::vector<uint32_t>& partitions) {
  std::map<uint32_t, uint64_t> starts;
  for (uint32_t p : partitions) {
    {
      // Assigned again without a revocation in between: keep the one processor it has.
      MutexLock lock(mu_);
      if (auto it = owned_.find(p); it != owned_.end() && !it->second->revoked) {
        starts[p] = it->second->proc.stats().next_offset;
        continue;
      }
    }
    auto o = std::make_shared<Owned>(p, log_, state_, catalog_, read_model_, opts_.max_batch);
    // The checkpoint says where to start; if it cannot be read now, the first Step loads it
    // and the log is read from wherever it says.
    if (auto s = o->proc.Load(); s.ok()) {
      starts[p] = o->proc.stats().next_offset;
    } else {
      spdlog::error("partition {}: cannot load its state (will retry): {}", p, s.message());
    }
    MutexLock lock(mu_);
    owned_[p] = std::move(o);
  }
  spdlog::info("processor: partitions assigned: {} new", partitions.size());
  return starts;
}

void GroupProcessor::OnRevoked(const std::vector<uint32_t>& partitions) {
  std::vector<std::shared_ptr<Owned>> gone;
  {
    MutexLock lock(mu_);
    for (uint32_t p : partitions) {
      auto it = owned_.find(p);
      if (it == owned_.end()) continue;
      it->second->revoked = true;
      gone.push_back(it->second);
    }
  }
  const auto deadline = std::chrono::steady_clock::now() + opts_.revoke_timeout;
  for (auto& o : gone) {
    // Waits for the batch in hand; a worker that takes the partition after this sees `revoked`.
    std::unique_lock busy(o->busy, std::defer_lock);
    if (busy.try_lock_until(deadline)) {
      MaybeCommit(*o, true);
    } else {
      spdlog::warn(
          "partition {}: revoked while its batch is still in hand; its checkpoint will "
          "fail if another processor has moved on",
          o->partition);
    }
    MutexLock lock(mu_);
    retired_.AddCounts(o->proc.stats());
    owned_.erase(o->partition);
  }
  spdlog::info("processor: partitions revoked: {}", gone.size());
}

void GroupProcessor::MaybeCommit(Owned& o, bool force) {
  const uint64_t next = o.proc.stats().next_offset;
  if (o.reported_any && next == o.reported) return;
  const auto now = std::chrono::steady_clock::now();
  if (!force && o.reported_any && now - o.reported_at < opts_.commit_interval) return;
  if (!o.reported_any && next == 0) return;  // nothing processed yet
  assignment_.CommitProgress(o.partition, next);
  o.reported = next;
  o.reported_any = true;
  o.reported_at = now;
}

void GroupProcessor::Work(int worker) {
  RoundPacer pacer(opts_.idle_poll, opts_.linger, opts_.max_batch);
  std::vector<std::shared_ptr<Owned>> mine;
  while (!stop_) {
    mine.clear();
    {
      MutexLock lock(mu_);
      for (auto& [p, o] : owned_) {
        if (p % static_cast<uint32_t>(opts_.workers) == static_cast<uint32_t>(worker)) {
          mine.push_back(o);
        }
      }
    }
    size_t most = 0;
    bool failed = false;
    for (auto& o : mine) {
      if (stop_) break;
      std::unique_lock busy(o->busy);
      if (o->revoked) continue;
      auto n = o->proc.Step(std::chrono::milliseconds(0));
      o->last_step_failed = !n.ok();
      if (n.ok()) {
        most = std::max(most, *n);
        MaybeCommit(*o, false);
      } else if (!o->revoked) {
        failed = true;
        spdlog::error("partition {}: processing failed, will retry: {}", o->partition,
                      n.status().message());
      }
    }
    mine.clear();  // a revoked partition's processor goes with its last reference
    pacer.After(failed, most);
  }
}

ProcessorTotals GroupProcessor::totals() const {
  MutexLock lock(mu_);
  ProcessorTotals t = retired_;
  for (const auto& [p, o] : owned_) {
    t.AddCounts(o->proc.stats());
    t.processed_offsets += o->proc.stats().next_offset;
  }
  return t;
}

WriteSideLag GroupProcessor::Lag() const {
  WriteSideLag out;
  out.partitions = assignment_.partitions();
  const int64_t now = SteadyNowMs();
  MutexLock lock(mu_);
  for (const auto& [p, o] : owned_) {
    if (o->revoked) continue;
    auto end = log_.KnownEndOffset(p);  // Kafka's cached high watermark: nothing waits, no lag
    out.lag_ms[p] = end && *end <= o->proc.stats().next_offset ? 0 : o->proc.lag_ms(now);
  }
  return out;
}

std::map<uint32_t, uint64_t> GroupProcessor::NextOffsets() const {
  MutexLock lock(mu_);
  std::map<uint32_t, uint64_t> out;
  for (const auto& [p, o] : owned_) {
    if (!o->revoked) out[p] = o->proc.stats().next_offset;
  }
  return out;
}

std::vector<uint32_t> GroupProcessor::Failing() const {
  MutexLock lock(mu_);
  std::vector<uint32_t> out;
  for (const auto& [p, o] : owned_) {
    if (!o->revoked && o->last_step_failed) out.push_back(p);
  }
  return out;
}

std::vector<uint32_t> GroupProcessor::owned() const {
  MutexLock lock(mu_);
  std::vector<uint32_t> out;
  for (const auto& [p, o] : owned_) out.push_back(p);
  return out;
}

}  // namespace urna
