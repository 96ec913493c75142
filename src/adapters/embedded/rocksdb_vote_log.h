// EmbeddedVoteLog: the vote log in RocksDB with group commit. Ingest threads enqueue votes;
// one appender thread takes everything queued, writes it as one WriteBatch (log entries plus
// pending receipts that point at them) with one fsync, then completes every vote of the batch.
// While a batch syncs, the next one fills, so the rate of fsyncs stays flat as the vote rate grows.
// Owned by the app; Append is thread-safe; Read is called by one processor thread per partition.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

#include "adapters/embedded/db.h"
#include "ports/vote_log.h"
#include "sync/mutex.h"

namespace urna::embedded {

struct GroupCommitStats {
  uint64_t batches = 0;   // fsync'd writes
  uint64_t votes = 0;     // votes made durable
  uint64_t failures = 0;  // votes answered with an error
};

class EmbeddedVoteLog final : public VoteLog, public LogReader {
 public:
  // `max_batch` bounds the votes of one WriteBatch.
  explicit EmbeddedVoteLog(EmbeddedDb& db, size_t max_batch = 8192);
  ~EmbeddedVoteLog() override;

  uint32_t partitions() const override { return db_.partitions(); }
  void Append(VoteEvent vote, AppendDone done) override;
  void AppendSeal(SealMarker seal, AppendDone done) override;
  void Drain() override;
  Result<std::vector<LogEntry>> Read(uint32_t partition, uint64_t from, size_t max,
                                     std::chrono::milliseconds wait) override;

  Result<uint64_t> EndOffset(uint32_t partition) override { return end_offset(partition); }
  std::optional<uint64_t> KnownEndOffset(uint32_t partition) override {
    return end_offset(partition);
  }

  GroupCommitStats stats() const;
  // First offset not yet durable in `partition`.
  uint64_t end_offset(uint32_t partition) const;

 private:
  static constexpr uint32_t kAllPartitions = UINT32_MAX;  // a seal: one entry in each
  struct Pending {
    uint32_t partition;
    std::string record;  // encoded LogRecord
    std::string vote_id;
    AppendDone done;
  };
  void Enqueue(Pending p);
  void Run();
  void WriteBatchOf(std::vector<Pending>& batch);
  // Answers every vote of `batch` with a 503 that says `why`.
  void Fail(std::vector<Pending>& batch, const std::string& why);
  // Reads each partition's end from the database (caller holds a lease of `generation`).
  void FindEnds(uint64_t generation);

  EmbeddedDb& db_;
  const size_t max_batch_;

  Mutex mu_;
  CondVar work_cv_;
  CondVar idle_cv_;
  std::vector<Pending> queue_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  bool busy_ GUARDED_BY(mu_) =
      false;  // the appender is writing a batch taken off queue_: Drain waits for it

  std::vector<uint64_t> next_;  // appender thread only: next offset per partition
  uint64_t generation_ = 0;     // appender thread only: the database open next_ was read from
  std::chrono::steady_clock::time_point last_error_log_{};  // appender thread only

  mutable Mutex end_mu_;
  CondVar end_cv_;
  std::vector<uint64_t> durable_end_ GUARDED_BY(end_mu_);

  std::atomic<uint64_t> batches_{0}, votes_{0}, failures_{0};
  std::thread thread_;
};

}  // namespace urna::embedded
