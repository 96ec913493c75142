// EmbeddedLogScanner: the embedded log's LogScanner (ports/log_scan.h), for the recount's
// replay: RocksDB iterators over a partition's range of the log column family, each record
// decoded into views (codec/log_record_view.h). It holds the database (a lease, db.h) and an
// iterator for at most entries_per_lease entries at a time, then takes them again from the next
// key, so a storage reopen never waits for a whole partition's scan; a scan that finds the
// database reopening stops with its kUnavailable. A long sequential read: it reads ahead in large
// steps and keeps its blocks out of the block cache (which serves the processor's reads of the
// log's tail). Owned by EmbeddedVoteLog; thread-safe (each Scan has its own iterator); blocking.
#pragma once

#include "adapters/embedded/db.h"
#include "ports/log_scan.h"

namespace urna::embedded {

class EmbeddedLogScanner final : public LogScanner {
 public:
  static constexpr uint64_t kDefaultEntriesPerLease = 65'536;
  explicit EmbeddedLogScanner(EmbeddedDb& db, uint64_t entries_per_lease = kDefaultEntriesPerLease)
      : db_(db), entries_per_lease_(entries_per_lease) {}
  Status Scan(uint32_t partition, uint64_t from, uint64_t end,
              const std::function<bool(const LogEntryView&)>& fn) override;

 private:
  EmbeddedDb& db_;
  const uint64_t entries_per_lease_;  // at least 1
};

}  // namespace urna::embedded
