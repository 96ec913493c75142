#include "net/push_queue.h"

#include <boost/asio/post.hpp>

#include "net/push_stream_base.h"

namespace urna::net {

namespace {
thread_local ThreadRole tl_role = ThreadRole::kOther;
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
  {
    std::lock_guard lock(mu_);
    draining_.swap(ready_);  // both keep their capacity: no allocation per tick
    drain_posted_ = false;
  }
  for (auto& s : draining_) s->Flush();
  draining_.clear();
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
  std::lock_guard lock(mu_);
  ready_.clear();
}

void PushQueue::CountWrite() {
  auto& c = tl_role == ThreadRole::kNetwork    ? counters_.network
            : tl_role == ThreadRole::kReadSide ? counters_.read_side
                                               : counters_.other;
  c.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace urna::net
