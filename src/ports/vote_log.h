// Vote log port: the durable, partitioned, append-only log between ingest and the processor.
// Embedded: RocksDB with group-commit fsync. Distributed: a Kafka topic (acks=all).
// Implementations are thread-safe: many ingest threads append, one reader per partition.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/vote.h"
#include "ports/log_scan.h"

namespace urna {

// One vote of a group (VoteLog::AppendGroup). `key`, when not empty, names the vote for
// idempotent retries: a trusted gateway's (gateway, election, ref); `fingerprint` is its
// content's (ports/gateway_store.h GatewayRef), stored with the key.
struct KeyedVote {
  VoteEvent vote;
  std::string key;
  std::string fingerprint;
};

class VoteLog {
 public:
  // Runs exactly once, on a log thread or on the appending thread's HomeThread
  // (sync/home_thread.h; the embedded log hands it back there): ok only once the vote is durable.
  using AppendDone = std::function<void(Status)>;
  // Runs exactly once, on a log thread or the appending thread's HomeThread, once every vote of
  // the group is durable or failed: for each vote, in order, the vote_id it is in the log under,
  // or why it is not.
  using GroupDone = std::function<void(std::vector<Result<std::string>>)>;

  virtual ~VoteLog() = default;
  virtual uint32_t partitions() const = 0;
  // Appends to partition PartitionFor(election, voter). Never blocks the caller.
  virtual void Append(VoteEvent vote, AppendDone done) = 0;
  // Appends `votes` as one durable group (embedded: one write and one fsync, unless the queue
  // holds more than one write takes). A log that keeps keys appends a keyed vote only if no vote
  // was appended under its key before: it answers the earlier vote's id instead (or kConflict
  // when the earlier vote's fingerprint differs: the key was reused for another vote), decided
  // in the same write that stores the key, so a retry after a crash is never a second vote. This
  // default keeps no keys: it appends every vote (the distributed ingest checks keys in front of
  // it, ingest/gateway_ref_log.h). Never blocks the caller.
  virtual void AppendGroup(std::vector<KeyedVote> votes, GroupDone done) {
    struct State {
      std::vector<Result<std::string>> results;
      std::atomic<size_t> left;
      GroupDone done;
    };
    if (votes.empty()) return done({});
    auto st = std::make_shared<State>();
    st->results.assign(votes.size(), Status(Code::kUnavailable, "not appended"));
    st->left = votes.size();
    st->done = std::move(done);
    for (size_t i = 0; i < votes.size(); ++i) {
      std::string id = votes[i].vote.vote_id;
      Append(std::move(votes[i].vote), [st, i, id = std::move(id)](Status s) {
        st->results[i] = s.ok() ? Result<std::string>(id) : Result<std::string>(s);
        if (st->left.fetch_sub(1) == 1) st->done(std::move(st->results));
      });
    }
  }
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
  // A scanner of this reader's partitions (ports/log_scan.h), or null when it has none.
  virtual LogScanner* scanner() { return nullptr; }
};

}  // namespace urna
