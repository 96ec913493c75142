// EmbeddedLogScanner: the embedded log's LogScanner (ports/log_scan.h), for the recount's
// replay: one RocksDB iterator over a partition's range of the log column family, each record
// decoded into views (codec/log_record_view.h). A long sequential read: it reads ahead in large
// steps and keeps its blocks out of the block cache (which serves the processor's reads of the
// log's tail). Owned by EmbeddedVoteLog; thread-safe (each Scan has its own iterator); blocking.
#pragma once

#include "adapters/embedded/db.h"
#include "ports/log_scan.h"

namespace urna::embedded {

class EmbeddedLogScanner final : public LogScanner {
 public:
  explicit EmbeddedLogScanner(EmbeddedDb& db) : db_(db) {}
  Status Scan(uint32_t partition, uint64_t from, uint64_t end,
              const std::function<bool(const LogEntryView&)>& fn) override;

 private:
  EmbeddedDb& db_;
};

}  // namespace urna::embedded
