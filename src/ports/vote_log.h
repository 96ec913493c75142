// Vote log port: the durable, partitioned, append-only log between ingest and the processor.
// Embedded: RocksDB with group-commit fsync. Distributed: a Kafka topic (acks=all).
// Implementations are thread-safe: many ingest threads append, one reader per partition.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "core/status.h"
#include "core/vote.h"

namespace urna {

class VoteLog {
 public:
  // Runs exactly once, on a log thread: ok only once the vote is durable.
  using AppendDone = std::function<void(Status)>;

  virtual ~VoteLog() = default;
  virtual uint32_t partitions() const = 0;
  // Appends to partition PartitionFor(election, voter). Never blocks the caller.
  virtual void Append(VoteEvent vote, AppendDone done) = 0;
  // Appends the seal marker to every partition (one durable write). Never blocks the caller.
  virtual void AppendSeal(SealMarker seal, AppendDone done) = 0;
  // Refuses new appends (kUnavailable) and returns once every queued append has completed.
  virtual void Drain() = 0;
};

// One durable log entry: a vote, or (when `seal` is set) an election's seal marker.
struct LogEntry {
  uint32_t partition = 0;
  uint64_t offset = 0;
  VoteEvent vote;
  std::optional<SealMarker> seal;
};

// Reads one partition in log order. Only durable entries are ever returned.
class LogReader {
 public:
  virtual ~LogReader() = default;
  // Up to `max` entries of `partition` from offset `from`; waits up to `wait` if none yet.
  virtual Result<std::vector<LogEntry>> Read(uint32_t partition, uint64_t from, size_t max,
                                             std::chrono::milliseconds wait) = 0;
  // The first offset of `partition` not yet durable (its length).
  virtual Result<uint64_t> EndOffset(uint32_t partition) = 0;
  // The partition's end as this reader knows it without asking anyone (the embedded log keeps
  // it in memory; a Kafka consumer learns the high watermark with each fetch), or nullopt. Cheap
  // enough to call before every read: the processor's lag rests on it (PartitionProcessor).
  virtual std::optional<uint64_t> KnownEndOffset(uint32_t partition) {
    (void)partition;
    return std::nullopt;
  }
};

}  // namespace urna
