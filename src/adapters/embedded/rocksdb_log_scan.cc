#include "adapters/embedded/rocksdb_log_scan.h"

#include <rocksdb/db.h>

#include <memory>
#include <string>

#include "adapters/codec/log_record_view.h"

namespace urna::embedded {

Status EmbeddedLogScanner::Scan(uint32_t partition, uint64_t from, uint64_t end,
                                const std::function<bool(const LogEntryView&)>& fn) {
  if (from >= end) return Status::Ok();
  const std::string upper = LogKey(partition, end);
  rocksdb::Slice upper_slice(upper);
  codec::LogRecordValue spill;  // a record off the fast path is decoded here
  uint64_t next = from;         // the offset after the last entry seen
  for (bool more = true; more;) {
    // A lease and an iterator per step of entries_per_lease_: a storage reopen waits for every
    // lease (and ingest answers 503 meanwhile), so a whole partition's scan must not hold one.
    // A reopen under way makes Use() fail: the scan stops with its error.
    auto lease = db_.Use();
    if (!lease.ok()) return lease.status();
    rocksdb::ReadOptions ro;
    ro.readahead_size = 4 << 20;
    ro.fill_cache = false;
    ro.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(db_.db()->NewIterator(ro, db_.log()));
    more = false;
    uint64_t n = 0;
    for (it->Seek(LogKey(partition, next)); it->Valid(); it->Next()) {
      if (n++ == entries_per_lease_) {
        more = true;  // the rest under a new lease, from `next`
        break;
      }
      LogEntryView v;
      v.offset = GetU64(it->key().ToStringView().substr(4));
      if (auto s = codec::DecodeLogRecordView(it->value().ToStringView(), &spill, &v); !s.ok()) {
        return s;
      }
      next = v.offset + 1;
      if (!fn(v)) return Status::Ok();
    }
    if (!it->status().ok()) {
      return Status(Code::kUnavailable, "log read: " + it->status().ToString());
    }
  }
  if (next < end) return Status(Code::kInternal, "log partition ends early");
  return Status::Ok();
}

}  // namespace urna::embedded
