// EmbeddedDb: the one RocksDB database of a data directory, with a column family per kind of
// record. Owned by the app; shared (thread-safe) by the embedded adapters.
//
// Column families and keys (all integers big-endian so keys sort in numeric order):
//   log       [u32 partition][u64 offset]            -> urna.v1.LogRecord
//   receipts  vote_id                                -> once processed, an urna.v1.Receipt
//                                                       (duplicate, rejected, or a later counted
//                                                       vote); a pending vote has none (its log
//                                                       entry is found), except in data dirs of
//                                                       before: the 12-byte log key of the vote
//   ledger    election \0 voter                      -> urna.v1.Receipt of the counted vote (a
//                                                       voter's first counted vote has no receipts
//                                                       row: this is its receipt; in older data
//                                                       dirs its 12-byte pointer stays)
//   Invariant the receipt look-up rests on: the log is never trimmed, and every log entry below
//   a partition's processor offset has its receipt (a receipts row, or its voter's ledger row):
//   a vote found in neither is pending, at or above the offset (EmbeddedLedger::FindReceipt).
//   tallies   [u32 partition] election \0 option     -> u64 count (absolute)
//   offsets   [u32 partition]                        -> u64 next offset to process
//   catalog   election id                            -> urna.v1.Election
//   default   "partitions"                           -> u32 (fixed when the data dir is made)
//             "probe"                                -> "ok" (the recovery check's synced write)
//             "updated_at" \0 [u32 partition] election   -> "total at_ms": when the election's
//                                                       counts there took that total
//                                                       (LocalReadModel, results' updated_at)
//
// Faults: RocksDB stops taking writes after a background error (no file descriptor for a new
// WAL, a full disk, ...). A recovery thread owned by this class repairs it once the cause is
// gone: it waits until the disk has `min_free_bytes` available, then calls DB::Resume() or, for
// errors RocksDB cannot resume from, closes and reopens the database (which replays the WAL, as
// a restart would). Every use of db() and the column family handles must hold a Lease, so a
// reopen never pulls the database from under a reader or writer; while the database is closed
// Lease() fails with kUnavailable and the reason. health() tells /healthz and /metrics.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "adapters/embedded/storage_health.h"
#include "core/status.h"
#include "sync/mutex.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class EventListener;
}  // namespace rocksdb

namespace urna::embedded {

struct DbOptions {
  // Free disk space the database needs to start and to resume writes after a full disk.
  uint64_t min_free_bytes = uint64_t{64} << 20;
  // Memtable size per column family (RocksDB's write_buffer_size); 0 keeps RocksDB's 64 MiB.
  uint64_t write_buffer_bytes = 0;
  // Pause between recovery attempts: doubles from `retry_min_ms` up to `retry_max_ms`. (Free
  // space is polled every 200 ms; an attempt starts once there is enough.)
  int retry_min_ms = 100;
  int retry_max_ms = 1000;
  // Entries of the log's in-memory index of its recent tail (pending receipts are found there,
  // ~80 bytes each: tail_index.h). Read by EmbeddedStack for EmbeddedVoteLog.
  size_t receipt_index_capacity = 1'000'000;
};

class EmbeddedDb {
 public:
  // Opens or creates the database under `dir` (made 0700, its files 0600). A new data dir gets
  // `partitions` partitions; an existing one keeps its own count. Refuses, with a clear error,
  // a disk with less than `options.min_free_bytes` available.
  static Result<std::unique_ptr<EmbeddedDb>> Open(const std::string& dir, uint32_t partitions,
                                                  DbOptions options = {});
  ~EmbeddedDb();

  // Holds the database open while alive (a reopen waits for it): a shared hold of the
  // database's mutex, carried out of Use(). Movable, one thread.
  class Lease {
   public:
    Lease() = default;
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&& other) noexcept;
    ~Lease() { Release(); }

    bool ok() const { return status_.ok(); }
    const Status& status() const { return status_; }
    // Bumped by every reopen: a holder of state derived from the database compares it.
    uint64_t generation() const { return generation_; }

   private:
    friend class EmbeddedDb;
    void Release() NO_THREAD_SAFETY_ANALYSIS;
    SharedMutex* held_ = nullptr;  // held shared while set
    Status status_;
    uint64_t generation_ = 0;
  };
  // Takes mu_ shared and hands it to the Lease: the analysis follows a lock within one scope
  // only, so Use() and Lease::Release() are unchecked.
  Lease Use() const NO_THREAD_SAFETY_ANALYSIS;

  // Valid only while a Lease is held (a shared hold of mu_ the analysis cannot see: unchecked).
  rocksdb::DB* db() const NO_THREAD_SAFETY_ANALYSIS { return db_; }
  rocksdb::ColumnFamilyHandle* log() const NO_THREAD_SAFETY_ANALYSIS { return cf_[1]; }
  rocksdb::ColumnFamilyHandle* receipts() const NO_THREAD_SAFETY_ANALYSIS { return cf_[2]; }
  rocksdb::ColumnFamilyHandle* ledger() const NO_THREAD_SAFETY_ANALYSIS { return cf_[3]; }
  rocksdb::ColumnFamilyHandle* tallies() const NO_THREAD_SAFETY_ANALYSIS { return cf_[4]; }
  rocksdb::ColumnFamilyHandle* offsets() const NO_THREAD_SAFETY_ANALYSIS { return cf_[5]; }
  rocksdb::ColumnFamilyHandle* catalog() const NO_THREAD_SAFETY_ANALYSIS { return cf_[6]; }
  uint32_t partitions() const { return partitions_; }

  const StorageHealth& health() const { return health_; }
  // A writer that got an error from RocksDB reports it here (the listener misses none today,
  // but a write error must never go unrepaired). Wakes the recovery thread.
  void ReportWriteError(const std::string& what);

 private:
  EmbeddedDb(std::string dir, DbOptions options) : dir_(std::move(dir)), options_(options) {}
  // Opens RocksDB into db_/cf_.
  Status OpenRocks() REQUIRES(mu_);
  void CloseRocks() REQUIRES(mu_);
  void Supervise();
  // One recovery attempt (the disk has enough free space); Ok when the database takes writes
  // again. `fatal`: skip Resume(), reopen.
  Status TryRecover(bool fatal);
  // A small synced write (db_ open).
  Status Probe() REQUIRES_SHARED(mu_);

  const std::string dir_;
  const DbOptions options_;
  StorageHealth health_;
  std::shared_ptr<rocksdb::EventListener> listener_;  // feeds health_; reused by every open
  mutable SharedMutex mu_;                            // shared: a Lease; exclusive: open/close
  std::atomic<bool> reopening_{false};                // new leases fail fast while a reopen waits
  rocksdb::DB* db_ GUARDED_BY(mu_) = nullptr;         // null while a reopen could not open it
  rocksdb::ColumnFamilyHandle* cf_[7] GUARDED_BY(mu_) = {};
  uint32_t partitions_ = 0;  // set by Open(), before any other thread
  std::atomic<uint64_t> generation_{0};
  std::string closed_reason_ GUARDED_BY(mu_);  // why db_ is null
  std::atomic<bool> stop_{false};
  std::thread supervisor_;
};

// Key helpers shared by the embedded adapters.
void PutU32(std::string& out, uint32_t v);
void PutU64(std::string& out, uint64_t v);
uint32_t GetU32(std::string_view in);
uint64_t GetU64(std::string_view in);
inline constexpr size_t kLogKeySize = 12;
std::string LogKey(uint32_t partition, uint64_t offset);
std::string VoterKeyBytes(std::string_view election_id, std::string_view voter_id);
// The ledger row of a voter's `ordinal`-th counted vote (1 = the first): VoterKeyBytes for the
// first, then VoterKeyBytes '\0' [u64 ordinal] (ids hold no '\0', so a voter's rows are
// contiguous). A voter's count of counted votes (EmbeddedProcessorState::CountedVotes) is the
// first missing ordinal: found by up to 3 point look-ups (ordinals 2, 3, 4), then, past them, a
// SeekForPrev(LedgerRowKey(.., UINT64_MAX)) to the voter's last row. It relies on rows
// 1..count having no gap: no code deletes ledger rows, and none may delete them one by one.
std::string LedgerRowKey(std::string_view election_id, std::string_view voter_id, uint64_t ordinal);
// LedgerRowKey appended to `out` (the processor encodes a batch's rows into one buffer).
void AppendLedgerRowKey(std::string_view election_id, std::string_view voter_id, uint64_t ordinal,
                        std::string& out);

}  // namespace urna::embedded
