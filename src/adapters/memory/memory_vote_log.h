// MemoryLog: an in-memory VoteLog + LogReader fake for unit tests of ingest and processor.
// Appends complete at once unless `fail_appends` is set. Thread-safe.
#pragma once

#include <vector>

#include "core/partition.h"
#include "ports/vote_log.h"
#include "sync/mutex.h"

namespace urna::memory {

class MemoryLog final : public VoteLog, public LogReader {
 public:
  explicit MemoryLog(uint32_t partitions) : partitions_(partitions), parts_(partitions) {}

  bool fail_appends = false;

  uint32_t partitions() const override { return partitions_; }
  void Append(VoteEvent vote, AppendDone done) override {
    if (fail_appends) return done(Status(Code::kUnavailable, "log down"));
    {
      MutexLock lock(mu_);
      parts_[PartitionFor(vote.election_id, vote.voter_id, partitions())].push_back(
          {std::move(vote), std::nullopt});
    }
    done(Status::Ok());
  }
  void AppendSeal(SealMarker seal, AppendDone done) override {
    if (fail_appends) return done(Status(Code::kUnavailable, "log down"));
    {
      MutexLock lock(mu_);
      for (auto& p : parts_) p.push_back({{}, seal});
    }
    done(Status::Ok());
  }
  void Drain() override {}
  Result<uint64_t> EndOffset(uint32_t partition) override {
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
  const uint32_t partitions_;
  Mutex mu_;
  std::vector<std::vector<Record>> parts_ GUARDED_BY(mu_);
};

}  // namespace urna::memory
