#include "net/push_queue.h"

#include <time.h>

#include <boost/asio/post.hpp>

#include <algorithm>

#include "net/push_stream_base.h"

namespace urna::net {

namespace {
thread_local ThreadRole tl_role = ThreadRole::kOther;

// CPU time of the calling thread (what the budget counts: time the scheduler gave to votes
// meanwhile is not the fan-out's).
std::chrono::nanoseconds ThreadCpu() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}
}  // namespace

void SetThreadRole(ThreadRole role) { tl_role = role; }
ThreadRole CurrentThreadRole() { return tl_role; }

void PushQueue::Schedule(std::shared_ptr<PushStreamBase> stream) {
  bool post = false;
  {
    std::lock_guard lock(mu_);
    ready_.push_back(std::move(stream));
    post = !drain_posted_;
    drain_posted_ = true;
  }
  if (post) boost::asio::post(ctx_, [this] { Drain(); });
}

void PushQueue::Drain() {
  const PushPacing& p = counters_.pacing;
  if (next_ == draining_.size()) {  // a new round: what is ready now
    draining_.clear();
    next_ = 0;
    round_deferred_ = false;
    {
      std::lock_guard lock(mu_);
      draining_.swap(ready_);  // both keep their capacity: no allocation per tick
      if (draining_.empty()) {
        drain_posted_ = false;
        return;
      }
    }
    // The hub pushes its viewers in the same order every tick: start each round one slice
    // further on, so that the same viewers do not always wait the whole spread (or the budget).
    if (p.slice > 0 && draining_.size() > p.slice) {
      round_offset_ = (round_offset_ + p.slice) % draining_.size();
      std::rotate(draining_.begin(), draining_.begin() + static_cast<ptrdiff_t>(round_offset_),
                  draining_.end());
    }
  }
  const auto now = Clock::now();
  const bool budgeted = p.budget.count() > 0;
  if (budgeted && now - period_started_ >= p.period) {
    period_started_ = now;
    used_ = std::chrono::nanoseconds(0);
    period_exhausted_ = false;
  } else if (budgeted && used_ >= p.budget) {
    // The budget of this period is spent (a round ended over it, then a new one came): wait.
    return Continue();
  }
  slice_started_ = now;
  const auto cpu_before = budgeted ? ThreadCpu() : std::chrono::nanoseconds(0);
  const size_t end = p.slice ? std::min(draining_.size(), next_ + p.slice) : draining_.size();
  for (; next_ < end; ++next_) {
    auto stream = std::move(draining_[next_]);
    stream->Flush();
  }
  if (budgeted) used_ += ThreadCpu() - cpu_before;
  Continue();
}

void PushQueue::Continue() {
  const PushPacing& p = counters_.pacing;
  const size_t left = draining_.size() - next_;
  if (left == 0) {
    draining_.clear();
    next_ = 0;
  }
  {
    std::lock_guard lock(mu_);
    if (left == 0 && ready_.empty()) {
      drain_posted_ = false;  // the next Schedule posts a Drain
      return;
    }
  }
  const auto now = Clock::now();
  auto at = now;
  if (p.budget.count() > 0 && used_ >= p.budget && now - period_started_ < p.period) {
    // Over budget: the rest waits for the next period; a stream pushed to meanwhile keeps only
    // the newest message (latest wins), so waiting costs no memory. Counted once per period,
    // and each waiting stream once per round (however many periods it waits).
    at = period_started_ + p.period;
    if (!period_exhausted_) {
      period_exhausted_ = true;
      counters_.budget_exhausted.fetch_add(1, std::memory_order_relaxed);
    }
    if (!round_deferred_ && left > 0) {
      round_deferred_ = true;
      counters_.deferred.fetch_add(left, std::memory_order_relaxed);
    }
  } else if (p.spread.count() > 0 && p.slice > 0 && next_ > 0) {
    // The round's slices spaced evenly over the spread (back to back when a slice takes longer).
    at = slice_started_ + p.spread * p.slice / draining_.size();
  }
  if (at <= now) {
    boost::asio::post(ctx_, [this] { Drain(); });
    return;
  }
  timer_.expires_at(at);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) Drain();
  });
}

void PushQueue::Add(const std::shared_ptr<PushStreamBase>& stream) { streams_.push_back(stream); }

void PushQueue::SweepStuck(std::chrono::steady_clock::time_point now,
                           std::chrono::seconds timeout) {
  std::erase_if(streams_, [&](const std::weak_ptr<PushStreamBase>& w) {
    auto s = w.lock();
    if (!s || s->closed()) return true;
    s->CloseIfStuck(now - timeout);
    if (!s->closed()) s->OnSweep(now);
    return s->closed();
  });
}

void PushQueue::CloseAll() {
  for (auto& w : streams_) {
    if (auto s = w.lock()) s->Shutdown();
  }
  streams_.clear();
  timer_.cancel();
  draining_.clear();
  next_ = 0;
  std::lock_guard lock(mu_);
  ready_.clear();
  drain_posted_ = false;  // the cancelled timer's Drain never runs: a later Schedule posts one
}

void PushQueue::CountWrite() {
  auto& c = tl_role == ThreadRole::kNetwork    ? counters_.network
            : tl_role == ThreadRole::kReadSide ? counters_.read_side
                                               : counters_.other;
  c.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace urna::net
