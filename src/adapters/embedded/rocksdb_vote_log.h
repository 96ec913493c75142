// EmbeddedVoteLog: the vote log in RocksDB with group commit. Ingest threads enqueue votes;
// one appender thread takes everything queued, writes it as one WriteBatch (one key per vote:
// the log entry, which is also its pending receipt) with one fsync, then completes every vote.
// While a batch syncs, the next one fills, so the rate of fsyncs stays flat as the vote rate grows.
// A group (AppendGroup: a gateway's batch) is queued at once, so it goes into one write; its keyed
// votes are looked up by the appender (the one writer) before the write and their keys written
// with them ("gwref/" keys of the default column family, db.h: vote_id '\0' fingerprint), so a
// key is appended once; Find reads them (read-only, any thread, blocking) for ingest's look-up.
// Completions go back to the thread that appended when it has a HomeThread (a network thread,
// sync/home_thread.h): one task per home thread and write runs that write's completions there,
// so the appender builds no answers and posts once per thread, not once per vote. Others (tests,
// the API pool's seals) are completed on the appender thread.
// Each durable vote goes into a bounded in-memory index of the recent tail (TailIndex), rebuilt
// at open from the unprocessed tail: the receipt look-up of a pending vote reads it.
// Owned by the app; Append is thread-safe; Read is called by one processor thread per partition.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "adapters/embedded/db.h"
#include "adapters/embedded/rocksdb_log_scan.h"
#include "adapters/embedded/tail_index.h"
#include "ports/gateway_store.h"
#include "ports/vote_log.h"
#include "sync/home_thread.h"
#include "sync/mutex.h"

namespace rocksdb {
class Status;
class WriteBatch;
}  // namespace rocksdb

namespace urna::embedded {

struct GroupCommitStats {
  uint64_t batches = 0;   // fsync'd writes
  uint64_t votes = 0;     // votes made durable
  uint64_t failures = 0;  // votes answered with an error
};

class EmbeddedVoteLog final : public VoteLog, public LogReader, public GatewayRefReader {
 public:
  // Completions per task posted to a home thread: a write of max_batch votes from one network
  // thread becomes several short tasks, so other connections' events run between them.
  static constexpr size_t kCompletionsPerPost = 256;
  static constexpr size_t kDefaultIndexCapacity = 1'000'000;  // ~80 MB (tail_index.h)
  // `max_batch` bounds the votes of one WriteBatch; `index_capacity` the entries of the recent
  // tail's index (tail()).
  explicit EmbeddedVoteLog(EmbeddedDb& db, size_t max_batch = 8192,
                           size_t index_capacity = kDefaultIndexCapacity);
  ~EmbeddedVoteLog() override;

  uint32_t partitions() const override { return db_.partitions(); }
  void Append(VoteEvent vote, AppendDone done) override;
  void AppendGroup(std::vector<KeyedVote> votes, GroupDone done) override;
  void AppendSeal(SealMarker seal, AppendDone done) override;
  void Drain() override;
  Result<std::vector<LogEntry>> Read(uint32_t partition, uint64_t from, size_t max,
                                     std::chrono::milliseconds wait) override;

  Result<uint64_t> EndOffset(uint32_t partition) override { return end_offset(partition); }
  LogScanner* scanner() override { return &scanner_; }  // the recount's replay
  std::optional<uint64_t> KnownEndOffset(uint32_t partition) override {
    return end_offset(partition);
  }
  // The stored "gwref/" keys (GatewayRefReader). Blocking (a RocksDB read).
  Result<std::vector<GatewayRef>> Find(const std::vector<std::string>& keys) override;

  // The index of the recent tail (vote_id hash -> partition, offset): read by EmbeddedLedger.
  const TailIndex& tail() const { return tail_; }

  GroupCommitStats stats() const;
  // First offset not yet durable in `partition`.
  uint64_t end_offset(uint32_t partition) const;

 private:
  static constexpr uint32_t kAllPartitions = UINT32_MAX;  // a seal: one entry in each
  static constexpr uint32_t kResolved = UINT32_MAX - 1;   // a keyed vote already in the log
  struct Group;
  struct Pending {
    uint32_t partition;
    std::string record;  // encoded LogRecord
    std::string vote_id;
    AppendDone done;  // unless `group` is set
    // A vote of a group: its index there, and its idempotency key ("" = none).
    std::shared_ptr<Group> group;
    size_t index = 0;
    std::string key;
    std::string fingerprint;     // of a keyed vote's content
    bool conflict = false;       // resolved: its key holds another vote (kConflict)
    HomeThread* home = nullptr;  // where `done` runs (null: on the appender thread)
    // sync/vote_probe.h (0 unless URNA_VOTE_PROBE=1): its request read, its Append.
    int64_t probe_read = 0, probe_append = 0;
  };
  // Completes `p` (its own done, or its slot of its group) with `s`; `vote_id` when ok. A group
  // whose last slot this fills is answered on its home thread.
  static void Complete(Pending& p, const Status& s, const std::string& vote_id);
  // Completes every vote of `batch` with `s` (Complete), the single votes that have a home
  // thread in one task per home thread.
  static void CompleteAll(std::vector<Pending>& batch, const Status& s, int64_t written_ns = 0);
  void Enqueue(Pending p);
  void EnqueueAll(std::vector<Pending> ps);
  // The appender's look-up of the batch's keyed votes: each found one is completed with the
  // stored vote_id and marked (partition = kResolved); a key repeated in the batch resolves to
  // its first vote; either with another fingerprint is marked a conflict. Ok, or the storage error
  // that fails the whole batch.
  Status ResolveKeys(std::vector<Pending>& batch);
  // The stored values of "gwref/" `keys` (full keys, prefix included), in order, and each
  // key's status (NotFound: not stored). Caller holds a lease.
  std::vector<rocksdb::Status> MultiGetRefs(const std::vector<std::string>& keys,
                                            std::vector<std::string>& values);
  void Run();
  void WriteBatchOf(std::vector<Pending>& batch);
  // Answers every vote of `batch` with a 503 that says `why`.
  void Fail(std::vector<Pending>& batch, const std::string& why);
  // Reads each partition's end from the database (caller holds a lease of `generation`).
  void FindEnds(uint64_t generation);
  // Refills tail_ from each partition's unprocessed entries (at most its share of the capacity,
  // the newest). Caller holds a lease; next_ is read.
  void RebuildTail();

  EmbeddedDb& db_;
  EmbeddedLogScanner scanner_{db_};
  const size_t max_batch_;
  TailIndex tail_;
  std::vector<TailIndex::Entry> added_;  // appender thread only: the write's entries for tail_

  Mutex mu_;
  CondVar work_cv_;
  CondVar idle_cv_;
  std::vector<Pending> queue_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  bool busy_ GUARDED_BY(mu_) =
      false;  // the appender is writing a batch taken off queue_: Drain waits for it

  std::vector<uint64_t> next_;  // appender thread only: next offset per partition
  // Appender thread only: the write being built, cleared and refilled for each write so its
  // buffer is not regrown (and its pages faulted in) write after write.
  std::unique_ptr<rocksdb::WriteBatch> wb_;
  uint64_t generation_ = 0;  // appender thread only: the database open next_ was read from
  std::chrono::steady_clock::time_point last_error_log_{};  // appender thread only
  int64_t probe_taken_ = 0;  // appender thread only: when the batch was taken (vote_probe.h)

  mutable Mutex end_mu_;
  CondVar end_cv_;
  std::vector<uint64_t> durable_end_ GUARDED_BY(end_mu_);

  std::atomic<uint64_t> batches_{0}, votes_{0}, failures_{0};
  std::thread thread_;
};

}  // namespace urna::embedded
