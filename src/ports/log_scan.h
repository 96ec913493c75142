// LogScanner port: a long read of one log partition handing out views of its entries, for the
// recount's replay (which reads every entry once). The views point into the stored record and
// are valid only during the callback: no LogEntry, vector or string per entry. Offered by a
// LogReader whose store can (LogReader::scanner(); the embedded log); otherwise the replay reads
// batches with LogReader::Read. Thread-safe; blocking.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "core/status.h"

namespace urna {

// One log entry: a vote, or (seal true) an election's seal marker (then only election_id is set).
struct LogEntryView {
  uint64_t offset = 0;
  bool seal = false;
  std::string_view vote_id, election_id, option_id, voter_id;
  int64_t ingest_time_ms = 0;
};

class LogScanner {
 public:
  virtual ~LogScanner() = default;
  // The entries of `partition` at offsets [from, end), in log order; `end` at most its durable
  // end (LogReader::EndOffset). Stops early, Ok, when `fn` returns false. An entry missing below
  // `end` or one that cannot be decoded is an error.
  virtual Status Scan(uint32_t partition, uint64_t from, uint64_t end,
                      const std::function<bool(const LogEntryView&)>& fn) = 0;
};

}  // namespace urna
