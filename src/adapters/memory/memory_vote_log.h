// MemoryLog: an in-memory VoteLog + LogReader fake for unit tests of ingest and processor.
// Appends complete at once unless `fail_appends` is set. Thread-safe.
#pragma once

#include <mutex>
#include <vector>

#include "core/partition.h"
#include "ports/vote_log.h"

namespace urna::memory {

class MemoryLog final : public VoteLog, public LogReader {
 public:
  explicit MemoryLog(uint32_t partitions) : parts_(partitions) {}

  bool fail_appends = false;

  uint32_t partitions() const override { return static_cast<uint32_t>(parts_.size()); }
  void Append(VoteEvent vote, AppendDone done) override {
    if (fail_appends) return done(Status(Code::kUnavailable, "log down"));
    {
      std::lock_guard lock(mu_);
      parts_[PartitionFor(vote.election_id, vote.voter_id, partitions())].push_back(
          {std::move(vote), std::nullopt});
    }
    done(Status::Ok());
  }
  void AppendSeal(SealMarker seal, AppendDone done) override {
    if (fail_appends) return done(Status(Code::kUnavailable, "log down"));
    {
      std::lock_guard lock(mu_);
      for (auto& p : parts_) p.push_back({{}, seal});
    }
    done(Status::Ok());
  }
  void Drain() override {}
  Result<uint64_t> EndOffset(uint32_t partition) override {
    std::lock_guard lock(mu_);
    return uint64_t{parts_[partition].size()};
  }
  Result<std::vector<LogEntry>> Read(uint32_t partition, uint64_t from, size_t max,
                                     std::chrono::milliseconds) override {
    std::lock_guard lock(mu_);
    std::vector<LogEntry> out;
    const auto& p = parts_[partition];
    for (uint64_t o = from; o < p.size() && out.size() < max; ++o) {
      out.push_back({partition, o, p[o].vote, p[o].seal});
    }
    return out;
  }

 private:
  std::mutex mu_;
  struct Record {
    VoteEvent vote;
    std::optional<SealMarker> seal;
  };
  std::vector<std::vector<Record>> parts_;
};

}  // namespace urna::memory
