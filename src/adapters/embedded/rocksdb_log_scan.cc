#include "adapters/embedded/rocksdb_log_scan.h"

#include <rocksdb/db.h>

#include <memory>
#include <string>

#include "adapters/codec/log_record_view.h"

namespace urna::embedded {

Status EmbeddedLogScanner::Scan(uint32_t partition, uint64_t from, uint64_t end,
                                const std::function<bool(const LogEntryView&)>& fn) {
  if (from >= end) return Status::Ok();
  auto lease = db_.Use();
  if (!lease.ok()) return lease.status();
  rocksdb::ReadOptions ro;
  ro.readahead_size = 4 << 20;
  ro.fill_cache = false;
  const std::string upper = LogKey(partition, end);
  rocksdb::Slice upper_slice(upper);
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_.db()->NewIterator(ro, db_.log()));
  codec::LogRecordValue spill;  // a record off the fast path is decoded here
  uint64_t next = from;         // the offset after the last entry seen
  for (it->Seek(LogKey(partition, from)); it->Valid(); it->Next()) {
    LogEntryView v;
    v.offset = GetU64(it->key().ToStringView().substr(4));
    if (auto s = codec::DecodeLogRecordView(it->value().ToStringView(), &spill, &v); !s.ok()) {
      return s;
    }
    next = v.offset + 1;
    if (!fn(v)) return Status::Ok();
  }
  if (!it->status().ok()) return Status(Code::kUnavailable, "log read: " + it->status().ToString());
  if (next < end) return Status(Code::kInternal, "log partition ends early");
  return Status::Ok();
}

}  // namespace urna::embedded
