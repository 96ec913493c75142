#include "adapters/redis/redis_tally_cache.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <vector>

#include "adapters/redis/backoff.h"

namespace urna::redis {

RedisTallyCache::RedisTallyCache(RedisUrl url, const Clock& clock, TallyCacheOptions options)
    : opts_(std::move(options)),
      reader_(url, clock, opts_.reader),
      subscriber_(
          url, opts_.subscriber, [this](std::string_view e) { Wanted(e); },
          [this] { RefreshAll(); }) {}

RedisTallyCache::~RedisTallyCache() { Stop(); }

void RedisTallyCache::SetChangeListener(std::function<void()> listener) {
  on_change_ = std::move(listener);
}

void RedisTallyCache::Start() {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "urna-redis-read");
    Run();
  });
  subscriber_.Start();
}

void RedisTallyCache::Stop() {
  subscriber_.Stop();
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  cv_.NotifyAll();
  if (thread_.joinable()) thread_.join();
}

Status RedisTallyCache::Apply(const PartitionTally&) {
  return Status(Code::kInternal, "a result server's read model is read-only");
}

Result<ElectionTally> RedisTallyCache::Get(std::string_view election_id) {
  MutexLock lock(mu_);
  auto it = held_.find(election_id);
  if (it == held_.end()) {
    if (held_.size() >= opts_.max_elections) {
      auto victim = held_.begin();
      for (auto i = held_.begin(); i != held_.end(); ++i) {
        if (i->second.last_asked < victim->second.last_asked) victim = i;
      }
      to_read_.erase(victim->first);
      failing_.erase(victim->first);
      held_.erase(victim);
    }
    it = held_.emplace(std::string(election_id), Held{}).first;
    to_read_.insert(it->first);
    cv_.NotifyOne();
  }
  it->second.last_asked = ++asks_;
  if (!it->second.loaded) return Status(Code::kUnavailable, "results loading, retry");
  ElectionTally t = it->second.tally;
  t.stale = t.stale || StaleLocked();  // the reader marks a tally Redis holds only in part
  return t;
}

bool RedisTallyCache::StaleLocked() const {
  return !failing_.empty() || !subscriber_.connected() || !write_side_problem_.empty();
}

bool RedisTallyCache::stale() const {
  MutexLock lock(mu_);
  return StaleLocked();
}

std::string RedisTallyCache::stale_reason() const {
  MutexLock lock(mu_);
  if (!subscriber_.connected()) return "not subscribed to redis";
  if (!failing_.empty()) return "cannot read redis";
  return write_side_problem_;
}

void RedisTallyCache::CheckWriteSide() {
  auto w = reader_.ReadWriteSide();
  std::string problem;
  if (!w.ok()) {
    problem = "cannot read the write side's heartbeats: " + w.status().message();
  } else if (w->partitions == 0) {
    problem = "no processor reports to redis";
  } else if (w->silent > 0) {
    problem = std::to_string(w->silent) + " of " + std::to_string(w->partitions) +
              " partitions have no live processor";
  } else if (w->max_lag_ms > opts_.stale_after.count()) {
    problem = "the processors lag by " + std::to_string(w->max_lag_ms) + " ms";
  }
  MutexLock lock(mu_);
  // Redis answers again after it could not be read: the failed reads are retried now and
  // everything held is re-read (not at each check: one election that keeps failing waits for
  // its backoff).
  if (w.ok() && !write_side_read_ok_ && !failing_.empty()) RefreshAllLocked();
  write_side_read_ok_ = w.ok();
  // Logged when it starts and ends, not at every change of its reason.
  const bool was_fine = write_side_problem_.empty(), first = write_side_problem_ == "not read yet";
  if (problem.empty() && !was_fine && !first) {
    spdlog::info("results: the write side keeps up again");
  } else if (!problem.empty() && (was_fine || first)) {
    spdlog::warn("results: marked stale: {}", problem);
  }
  write_side_problem_ = std::move(problem);
}

void RedisTallyCache::Wanted(std::string_view election) {
  MutexLock lock(mu_);
  if (!held_.contains(election)) return;  // nobody here asked for it
  to_read_.emplace(election);
  cv_.NotifyOne();
}

void RedisTallyCache::RefreshAll() {
  MutexLock lock(mu_);
  RefreshAllLocked();
}

void RedisTallyCache::RefreshAllLocked() {
  for (const auto& [id, h] : held_) to_read_.insert(id);
  to_read_.insert(failing_.begin(), failing_.end());
  cv_.NotifyOne();
}

std::chrono::steady_clock::time_point RedisTallyCache::WakeAt(
    std::chrono::steady_clock::time_point next_check) const {
  return failing_.empty() ? next_check : std::min(next_check, retry_at_);
}

void RedisTallyCache::Run() {
  Backoff backoff(opts_.reader.publisher.backoff_min, opts_.reader.publisher.backoff_max);
  auto next_check = std::chrono::steady_clock::now();
  for (;;) {
    if (std::chrono::steady_clock::now() >= next_check) {
      CheckWriteSide();
      next_check = std::chrono::steady_clock::now() + opts_.write_side_every;
    }
    std::vector<std::string> batch;
    {
      MutexLock lock(mu_);
      while (!stopping_ && to_read_.empty() &&
             std::chrono::steady_clock::now() < WakeAt(next_check)) {
        cv_.WaitUntil(mu_, WakeAt(next_check));
      }
      if (stopping_) return;
      if (!failing_.empty() && std::chrono::steady_clock::now() >= retry_at_) {
        to_read_.insert(failing_.begin(), failing_.end());  // a retry, not a new streak
        retry_at_ = std::chrono::steady_clock::now() + std::chrono::hours(24);
      }
      batch.assign(to_read_.begin(), to_read_.end());
      to_read_.clear();
    }
    if (batch.empty()) continue;
    bool failed = false, changed = false;
    for (const auto& id : batch) {
      bool fresh = false;
      auto t = reader_.Get(id, &fresh);  // falls back to its last tally while Redis is down
      MutexLock lock(mu_);
      auto it = held_.find(id);
      if (it == held_.end()) {
        failing_.erase(id);
        continue;
      }
      if (t.ok()) {
        changed = changed || !it->second.loaded || it->second.tally.seq != t->seq ||
                  it->second.tally.stale != t->stale;
        it->second.tally = std::move(*t);
        it->second.loaded = true;
      }
      if (!t.ok() || !fresh) {
        if (failing_.empty()) spdlog::warn("results: cannot read {} from redis (retrying)", id);
        failing_.insert(id);
        failed = true;
      } else if (failing_.erase(id) > 0 && failing_.empty()) {
        // The streak is over: what changed meanwhile may have been missed, re-read it all.
        spdlog::info("results: reading redis again");
        backoff.Reset();
        RefreshAllLocked();
      }
    }
    if (failed) {
      MutexLock lock(mu_);
      retry_at_ = std::chrono::steady_clock::now() + backoff.Next();
    }
    if (changed && on_change_) on_change_();
  }
}

}  // namespace urna::redis
