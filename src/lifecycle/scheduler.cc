#include "lifecycle/scheduler.h"

#include <spdlog/spdlog.h>

#include <pthread.h>

#include <algorithm>
#include <limits>
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
    int64_t next = RunDue();
    // Wait for the next time due on the (wall) clock, but never longer than poll_interval: the
    // catalog may gain elections and the wall clock may step meanwhile.
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
  MutexLock pass(pass_mu_);
  int64_t next = std::numeric_limits<int64_t>::max();
  // Earliest first, so a backlog after a restart is worked off in schedule order.
  std::vector<std::pair<int64_t, std::shared_ptr<const Election>>> due;
  const int64_t listed_at = clock_.NowMs();
  for (auto& e : catalog_.List()) {
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
      // A scheduled close cut short after the catalog write (the seal failed): closing again
      // appends the seal, as it does for POST close.
      at = e->closes_at_ms;
    } else {
      continue;
    }
    if (auto r = retry_at_.find(e->id); r != retry_at_.end()) at = std::max(at, r->second);
    due.emplace_back(at, std::move(e));
  }
  std::sort(due.begin(), due.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [at, e] : due) {
    int64_t now = clock_.NowMs();
    if (at > now) {
      next = std::min(next, at);
      continue;
    }
    if (e->status == ElectionStatus::kDraft) {
      // The listing may be older than an edit of this draft's times (PUT) or a delete and a new
      // create of its id made since (a close due earlier in this pass can take seconds): open
      // only a draft still due as listed; the next pass sees the new times.
      auto fresh = catalog_.Get(e->id);
      if (!fresh.ok() || (*fresh)->status != ElectionStatus::kDraft ||
          (*fresh)->opens_at_ms != e->opens_at_ms || (*fresh)->closes_at_ms != e->closes_at_ms) {
        continue;
      }
      if (!Transition(*e, /*open=*/true, now)) {
        next = std::min(next, retry_at_[e->id]);
        continue;
      }
      // Opened: its close may be due too (both times passed while the server was down).
      if (e->closes_at_ms == 0) continue;
      if (e->closes_at_ms > clock_.NowMs()) {
        next = std::min(next, e->closes_at_ms);
        continue;
      }
    }
    if (!Transition(*e, /*open=*/false, clock_.NowMs())) next = std::min(next, retry_at_[e->id]);
  }
  return next;
}

bool ElectionScheduler::Transition(const Election& e, bool open, int64_t now) {
  auto r = open ? lifecycle_.Open(e.id) : lifecycle_.Close(e.id);
  const char* what = open ? "open" : "close";
  if (!r.ok()) {
    retry_at_[e.id] = now + options_.retry_after.count();
    spdlog::warn("scheduled {} of election {} failed (retrying in {} ms): {}", what, e.id,
                 options_.retry_after.count(), r.status().message());
    MutexLock lock(mu_);
    ++stats_.failures;
    return false;
  }
  retry_at_.erase(e.id);
  if (!open) closed_.insert(e.id);
  spdlog::info("scheduled {} of election {}: now {}", what, e.id, ToString(r->status));
  MutexLock lock(mu_);
  ++(open ? stats_.opened : stats_.closed);
  return true;
}

}  // namespace urna
