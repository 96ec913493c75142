// MemoryLog: an in-memory VoteLog + LogReader fake for unit tests of ingest and processor.
// By default an append is durable and completed at once, on the caller's thread. For tests of
// what may be acknowledged when, it injects faults (the idea of leveldb's fault_injection_test,
// written here for this port):
// - Hold(): appends wait, neither readable nor completed, until Release() makes them durable
//   and completes them (on the releasing thread, as a log thread would), FailHeld() completes
//   them with an error, or DropHeld() loses them as a crash would (never completed).
// - FailNextAppends(n): the next n appends fail (kUnavailable) and are not stored.
// - fail_appends: every append fails while set.
// Thread-safe; completions run without the lock held.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/partition.h"
#include "ports/vote_log.h"
#include "sync/mutex.h"

namespace urna::memory {

class MemoryLog final : public VoteLog, public LogReader {
 public:
  explicit MemoryLog(uint32_t partitions) : partitions_(partitions), parts_(partitions) {}

  bool fail_appends = false;

  // From now on appends are held (not durable, not completed) until released or dropped.
  void Hold() {
    MutexLock lock(mu_);
    holding_ = true;
  }
  // Makes every held append durable (in arrival order) and completes each with ok; appends
  // complete at once again afterwards.
  void Release() {
    auto held = TakeHeld();
    {
      MutexLock lock(mu_);
      for (auto& h : held) Store(h.record);
    }
    for (auto& h : held) h.done(Status::Ok());
  }
  // Completes every held append with `why` (a failed write); none becomes durable.
  void FailHeld(Status why) {
    for (auto& h : TakeHeld()) h.done(why);
  }
  // Loses every held append as a crash before the sync would: never durable, never completed.
  // Returns how many were lost.
  size_t DropHeld() { return TakeHeld().size(); }
  size_t held() const {
    MutexLock lock(mu_);
    return held_.size();
  }
  // The next `n` appends (votes or seals) fail with kUnavailable and store nothing.
  void FailNextAppends(int n) {
    MutexLock lock(mu_);
    fail_next_ = n;
  }

  uint32_t partitions() const override { return partitions_; }
  void Append(VoteEvent vote, AppendDone done) override {
    Submit({std::move(vote), std::nullopt}, std::move(done));
  }
  void AppendSeal(SealMarker seal, AppendDone done) override {
    Submit({{}, std::move(seal)}, std::move(done));
  }
  void Drain() override {}
  Result<uint64_t> EndOffset(uint32_t partition) override {
    MutexLock lock(mu_);
    return uint64_t{parts_[partition].size()};
  }
  std::optional<uint64_t> KnownEndOffset(uint32_t partition) override {
    MutexLock lock(mu_);
    return uint64_t{parts_[partition].size()};
  }
  Result<std::vector<LogEntry>> Read(uint32_t partition, uint64_t from, size_t max,
                                     std::chrono::milliseconds) override {
    MutexLock lock(mu_);
    std::vector<LogEntry> out;
    const auto& p = parts_[partition];
    for (uint64_t o = from; o < p.size() && out.size() < max; ++o) {
      out.push_back({partition, o, p[o].vote, p[o].seal});
    }
    return out;
  }

 private:
  struct Record {
    VoteEvent vote;
    std::optional<SealMarker> seal;
  };
  struct Held {
    Record record;
    AppendDone done;
  };

  void Submit(Record r, AppendDone done) {
    {
      MutexLock lock(mu_);
      if (fail_appends || fail_next_ > 0) {
        if (fail_next_ > 0) --fail_next_;
        lock.Unlock();
        return done(Status(Code::kUnavailable, "log down"));
      }
      if (holding_) {
        held_.push_back({std::move(r), std::move(done)});
        return;
      }
      Store(r);
    }
    done(Status::Ok());
  }
  void Store(const Record& r) REQUIRES(mu_) {
    if (r.seal) {
      for (auto& p : parts_) p.push_back(r);
    } else {
      parts_[PartitionFor(r.vote.election_id, r.vote.voter_id, partitions())].push_back(r);
    }
  }
  std::vector<Held> TakeHeld() {
    MutexLock lock(mu_);
    holding_ = false;
    return std::exchange(held_, {});
  }

  const uint32_t partitions_;
  mutable Mutex mu_;
  std::vector<std::vector<Record>> parts_ GUARDED_BY(mu_);
  std::vector<Held> held_ GUARDED_BY(mu_);
  bool holding_ GUARDED_BY(mu_) = false;
  int fail_next_ GUARDED_BY(mu_) = 0;
};

}  // namespace urna::memory
