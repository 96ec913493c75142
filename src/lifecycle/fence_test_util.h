// Test helpers for the fenced close (fenced_lifecycle_test.cc): clocks and VoteLog/NodeLeases
// decorators that model what the distributed deployment adds to the memory fakes (a producer's
// appends in flight, a node cut off from the lease store). Test-only; thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "ports/catalog.h"
#include "ports/clock.h"
#include "ports/node_leases.h"
#include "ports/vote_log.h"

namespace urna::fence_test {

// A clock the test moves.
class FakeClock final : public Clock {
 public:
  int64_t NowMs() const override { return now; }
  std::atomic<int64_t> now{1'000'000};
};

// Another node's wall clock: `base` + `offset_ms` (a node whose clock is ahead).
class OffsetClock final : public Clock {
 public:
  OffsetClock(const Clock& base, int64_t offset_ms) : base_(base), offset_ms_(offset_ms) {}
  int64_t NowMs() const override { return base_.NowMs() + offset_ms_; }

 private:
  const Clock& base_;
  const int64_t offset_ms_;
};

// A producer: appends (votes and seals) are queued and reach `inner` in order on its own thread
// a moment later, then complete there, as Kafka delivery reports do.
class AsyncLog final : public VoteLog {
 public:
  explicit AsyncLog(VoteLog& inner) : inner_(inner), worker_([this] { Run(); }) {}
  ~AsyncLog() override {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    worker_.join();
  }
  uint32_t partitions() const override { return inner_.partitions(); }
  void Append(VoteEvent vote, AppendDone done) override {
    Push([this, vote = std::move(vote), done = std::move(done)]() mutable {
      inner_.Append(std::move(vote), std::move(done));
    });
  }
  void AppendSeal(SealMarker seal, AppendDone done) override {
    Push([this, seal = std::move(seal), done = std::move(done)]() mutable {
      inner_.AppendSeal(std::move(seal), std::move(done));
    });
  }
  void Drain() override {}

 private:
  void Push(std::function<void()> op) {
    {
      std::lock_guard lock(mu_);
      queue_.push_back(std::move(op));
    }
    cv_.notify_all();
  }
  void Run() {
    for (;;) {
      std::deque<std::function<void()>> batch;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, nothing left
        batch.swap(queue_);
      }
      std::this_thread::sleep_for(std::chrono::microseconds(500));  // the round trip
      for (auto& op : batch) op();
    }
  }

  VoteLog& inner_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stop_ = false;
  std::thread worker_;
};

// Holds vote appends (not seals) while holding, until Release() passes them on in order: a
// producer whose requests are stuck, or a node paused with votes in flight.
class HoldVotesLog final : public VoteLog {
 public:
  explicit HoldVotesLog(VoteLog& inner) : inner_(inner) {}
  uint32_t partitions() const override { return inner_.partitions(); }
  void Append(VoteEvent vote, AppendDone done) override {
    {
      std::lock_guard lock(mu_);
      if (holding_) {
        held_.emplace_back(std::move(vote), std::move(done));
        return;
      }
    }
    inner_.Append(std::move(vote), std::move(done));
  }
  void AppendSeal(SealMarker seal, AppendDone done) override {
    inner_.AppendSeal(std::move(seal), std::move(done));
  }
  void Drain() override {}
  void Hold() {
    std::lock_guard lock(mu_);
    holding_ = true;
  }
  size_t held() {
    std::lock_guard lock(mu_);
    return held_.size();
  }
  void Release() {
    std::vector<std::pair<VoteEvent, AppendDone>> held;
    {
      std::lock_guard lock(mu_);
      holding_ = false;
      held.swap(held_);
    }
    for (auto& [vote, done] : held) inner_.Append(std::move(vote), std::move(done));
  }

 private:
  VoteLog& inner_;
  std::mutex mu_;
  bool holding_ = false;
  std::vector<std::pair<VoteEvent, AppendDone>> held_;
};

// One node's view of a shared catalog that lags behind it, as a DynamoCatalog's cache does
// between refreshes: Get answers the copy taken by Freeze(id) until this view writes that
// election (a write, applied or refused, brings the stored state in, as DynamoCatalog's does).
class LaggingCatalog final : public Catalog {
 public:
  explicit LaggingCatalog(Catalog& inner) : inner_(inner) {}
  void Freeze(std::string_view id) {
    auto e = inner_.Get(id);
    std::lock_guard lock(mu_);
    if (e.ok()) frozen_[std::string(id)] = *e;
  }
  Status Create(const Election& e) override { return inner_.Create(e); }
  Status Update(const Election& e) override {
    Status s = inner_.Update(e);
    std::lock_guard lock(mu_);
    frozen_.erase(e.id);
    return s;
  }
  Result<std::shared_ptr<const Election>> Get(std::string_view id) override {
    {
      std::lock_guard lock(mu_);
      if (auto it = frozen_.find(std::string(id)); it != frozen_.end()) return it->second;
    }
    return inner_.Get(id);
  }
  std::vector<std::shared_ptr<const Election>> List() override { return inner_.List(); }

 private:
  Catalog& inner_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<const Election>> frozen_;
};

// One node's connection to a shared lease store, which the test can cut (kUnavailable).
class CutLeases final : public NodeLeases {
 public:
  explicit CutLeases(NodeLeases& inner) : inner_(inner) {}
  std::atomic<bool> cut{false};
  // While set, Renew waits (up to 30 s) before it reaches the store, as a renewal stuck in the
  // client's retries does; `renew_waiting` says one waits.
  std::atomic<bool> hold_renew{false};
  std::atomic<bool> renew_waiting{false};
  // The next this many Closing() reads fail.
  std::atomic<int> fail_closing{0};

  Result<NodeLease> Register(std::string_view node_id) override {
    if (cut) return Down();
    return inner_.Register(node_id);
  }
  Result<NodeLease> Renew(const NodeLease& lease) override {
    if (hold_renew) {
      renew_waiting = true;
      auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
      while (hold_renew && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      renew_waiting = false;
    }
    if (cut) return Down();
    return inner_.Renew(lease);
  }
  Status Expire(const NodeLease& lease) override {
    if (cut) return Down();
    return inner_.Expire(lease);
  }
  Result<std::vector<NodeLease>> Leases() override {
    if (cut) return Down();
    return inner_.Leases();
  }
  Status MarkClosing(std::string_view election_id) override {
    if (cut) return Down();
    return inner_.MarkClosing(election_id);
  }
  Result<std::vector<std::string>> Closing() override {
    if (cut) return Down();
    if (fail_closing > 0 && fail_closing-- > 0) return Down();
    return inner_.Closing();
  }
  Status Acknowledge(std::string_view election_id, const CloseAck& ack) override {
    if (cut) return Down();
    return inner_.Acknowledge(election_id, ack);
  }
  Result<std::vector<CloseAck>> Acks(std::string_view election_id) override {
    if (cut) return Down();
    return inner_.Acks(election_id);
  }

 private:
  static Status Down() { return Status(Code::kUnavailable, "cut off from the lease store"); }
  NodeLeases& inner_;
};

}  // namespace urna::fence_test
