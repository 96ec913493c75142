#include "lifecycle/scheduler.h"

#include <spdlog/spdlog.h>

#include <pthread.h>

#include <algorithm>
#include <limits>
#include <memory>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

namespace urna {

void ElectionScheduler::Start() {
  MutexLock lock(mu_);
  if (thread_.joinable() || stop_) return;
  thread_ = std::thread([this] { Loop(); });
}

void ElectionScheduler::Stop() {
  {
    MutexLock lock(mu_);
    stop_ = true;
  }
  cv_.NotifyAll();
  if (thread_.joinable()) thread_.join();
  // The actions in progress finish (a fenced close up to its close timeout); none starts now.
  MutexLock lock(mu_);
  for (;;) {
    JoinDone();
    if (running_.empty()) return;
    cv_.Wait(mu_);
  }
}

void ElectionScheduler::Wake() {
  {
    MutexLock lock(mu_);
    woken_ = true;
  }
  cv_.NotifyAll();
}

void ElectionScheduler::Loop() {
  pthread_setname_np(pthread_self(), "urna-schedule");
  for (;;) {
    bool capped = false;
    int64_t next = StartDue(&capped);
    // Wait for the next time due on the (wall) clock, but never longer than poll_interval: the
    // catalog may gain elections and the wall clock may step meanwhile. An action done wakes
    // the loop (its election may be due again, or one that waited for a place may start).
    int64_t wait_ms = options_.poll_interval.count();
    if (next != std::numeric_limits<int64_t>::max()) {
      wait_ms = std::clamp<int64_t>(next - clock_.NowMs(), 1, wait_ms);
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
    MutexLock lock(mu_);
    while (!stop_ && !woken_ && cv_.WaitUntil(mu_, deadline)) {
    }
    if (stop_) return;
    woken_ = false;
  }
}

int64_t ElectionScheduler::RunDue() {
  {
    MutexLock lock(mu_);
    next_from_actions_ = std::numeric_limits<int64_t>::max();
  }
  for (;;) {
    bool capped = false;
    int64_t next = StartDue(&capped);
    MutexLock lock(mu_);
    for (;;) {
      JoinDone();
      if (running_.empty()) break;
      cv_.Wait(mu_);
    }
    // Due actions that found no free place run in the next round, now that all are done.
    if (!capped) return std::min(next, next_from_actions_);
  }
}

void ElectionScheduler::JoinDone() {
  for (auto it = running_.begin(); it != running_.end();) {
    if (!it->second->done) {
      ++it;
      continue;
    }
    it->second->thread.join();  // done: it only returns (it needs no lock any more)
    it = running_.erase(it);
  }
}

int64_t ElectionScheduler::StartDue(bool* capped) {
  MutexLock pass(pass_mu_);
  int64_t next = std::numeric_limits<int64_t>::max();
  // Earliest first, so a backlog after a restart is worked off in schedule order.
  std::vector<std::pair<int64_t, std::shared_ptr<const Election>>> due;
  auto listed = catalog_.List();
  const int64_t listed_at = clock_.NowMs();
  {
    MutexLock lock(mu_);
    JoinDone();
    for (auto& e : listed) {
      if (running_.contains(e->id)) continue;  // its action tells when it is due again
      int64_t at = 0;
      if (e->status == ElectionStatus::kDraft && e->closes_at_ms != 0 &&
          e->closes_at_ms <= listed_at) {
        // Its whole window passed unopened (the server was down): it stays a draft, which an
        // admin can edit (new times) or delete; opening it now would take no vote (core rule
        // OpenElection refuses it).
        if (e->opens_at_ms != 0 && missed_.insert(e->id).second) {
          spdlog::warn(
              "election {} was not opened: its closes_at passed before its scheduled "
              "open ran; it stays a draft (edit its times or delete it)",
              e->id);
        }
        continue;
      } else if (e->status == ElectionStatus::kDraft && e->opens_at_ms != 0) {
        at = e->opens_at_ms;
      } else if (e->status == ElectionStatus::kOpen && e->closes_at_ms != 0 &&
                 !closed_.contains(e->id)) {
        at = e->closes_at_ms;
      } else if (e->status == ElectionStatus::kClosed && retry_at_.contains(e->id)) {
        // A scheduled close cut short after the catalog write (the seal failed): closing
        // again appends the seal, as it does for POST close.
        at = e->closes_at_ms;
      } else {
        continue;
      }
      if (auto r = retry_at_.find(e->id); r != retry_at_.end()) at = std::max(at, r->second);
      due.emplace_back(at, std::move(e));
    }
  }
  std::sort(due.begin(), due.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& d : due) {
    const int64_t at = d.first;
    std::shared_ptr<const Election> e = d.second;  // a lambda captures no structured binding
    if (at > clock_.NowMs()) {
      next = std::min(next, at);
      continue;
    }
    const bool open = e->status == ElectionStatus::kDraft;
    if (open) {
      // The listing may be older than an edit of this draft's times (PUT) or a delete and a new
      // create of its id made since: open only a draft still due as listed; the next pass
      // sees the new times.
      auto fresh = catalog_.Get(e->id);
      if (!fresh.ok() || (*fresh)->status != ElectionStatus::kDraft ||
          (*fresh)->opens_at_ms != e->opens_at_ms || (*fresh)->closes_at_ms != e->closes_at_ms) {
        continue;
      }
    }
    MutexLock lock(mu_);
    if (stop_) break;
    if (running_.size() >= options_.max_parallel) {
      *capped = true;  // due now: starts when an action ends (it wakes the loop)
      continue;
    }
    // The thread first, then its place in running_ (Act reads it under mu_, held here): a
    // thread that cannot be created leaves no Action that Stop and RunDue would wait for.
    auto action = std::make_unique<Action>();
    try {
      action->thread = std::thread([this, e, open] { Act(e, open); });
    } catch (const std::system_error& err) {
      retry_at_[e->id] = clock_.NowMs() + options_.retry_after.count();
      next = std::min(next, retry_at_[e->id]);
      ++stats_.failures;
      spdlog::warn("scheduled action of election {}: no thread ({}), retrying in {} ms", e->id,
                   err.what(), options_.retry_after.count());
      continue;
    }
    running_[e->id] = std::move(action);
  }
  return next;
}

void ElectionScheduler::Act(std::shared_ptr<const Election> e, bool open) {
  pthread_setname_np(pthread_self(), "urna-sched-act");
  int64_t next = std::numeric_limits<int64_t>::max();
  bool close = !open;
  if (open && Transition(*e, /*open=*/true)) {
    // Opened: its close may be due too (both times passed while the server was down).
    if (e->closes_at_ms != 0 && e->closes_at_ms <= clock_.NowMs()) {
      close = true;
    } else if (e->closes_at_ms != 0) {
      next = e->closes_at_ms;
    }
  }
  if (open && close) {
    // A close that follows an open (both due): not once Stop has begun, so that a SIGTERM does
    // not wait for another fenced close; the next start closes it.
    MutexLock lock(mu_);
    if (stop_) close = false;
  }
  if (close) Transition(*e, /*open=*/false);
  MutexLock lock(mu_);
  if (auto r = retry_at_.find(e->id); r != retry_at_.end()) next = std::min(next, r->second);
  next_from_actions_ = std::min(next_from_actions_, next);
  running_.at(e->id)->done = true;
  woken_ = true;
  cv_.NotifyAll();  // under the lock: once done is read true this object may be joined
}

bool ElectionScheduler::Transition(const Election& e, bool open) {
  auto r = open ? lifecycle_.Open(e.id) : lifecycle_.Close(e.id);
  const char* what = open ? "open" : "close";
  MutexLock lock(mu_);
  if (!r.ok()) {
    retry_at_[e.id] = clock_.NowMs() + options_.retry_after.count();
    spdlog::warn("scheduled {} of election {} failed (retrying in {} ms): {}", what, e.id,
                 options_.retry_after.count(), r.status().message());
    ++stats_.failures;
    return false;
  }
  retry_at_.erase(e.id);
  if (!open) closed_.insert(e.id);
  spdlog::info("scheduled {} of election {}: now {}", what, e.id, ToString(r->status));
  ++(open ? stats_.opened : stats_.closed);
  return true;
}

}  // namespace urna
