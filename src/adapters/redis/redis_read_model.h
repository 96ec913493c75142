// RedisReadModel: the distributed deployment's read model (docs/architecture.md §3), over Redis.
// Apply (a processor, after each checkpoint) hands the partition's absolute counts to a
// TallyPublisher and returns at once, whether Redis is up or not (G6); the publisher's thread
// stores them through the offset-fenced Lua script and PUBLISHes the change. Get (a result
// server) reads an election's merged tally (the sum over partitions, seq = the sum of their
// next offsets, as LocalReadModel) in one atomic script call on its own connection, with timeouts.
// Get never moves a tally back (a Redis refilled after a restart passes through partial states):
// it keeps each partition's last (offset, counts) per election and merges what Redis says
// partition by partition, the higher offset winning; tally and seq are computed from the merged
// state, and the tally is marked stale while a partition seen before is missing from Redis or
// behind. While Redis is down it returns the last tally (see `last_read_ok_ms`); without one,
// kUnavailable. Memory: at most `max_cached_elections` elections' partition states. ReadWriteSide
// reads the processors' heartbeats for a result server's `stale`; SetLagSource hands the
// processor's lag to the publisher. While Redis is unreachable, reconnection is tried at most once
// per backoff step, so Get does not wait for a connect timeout on every call. Owned by the role
// that wires it; Apply and Get are thread-safe. Get blocks on Redis (at most the connect and I/O
// timeouts): not on a network thread.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "adapters/redis/redis_url.h"
#include "adapters/redis/tally_publisher.h"
#include "ports/clock.h"
#include "ports/read_model.h"
#include "sync/mutex.h"

namespace urna::redis {

class RedisConnection;
class Backoff;

struct RedisReadModelOptions {
  PublisherOptions publisher;  // key_prefix, timeouts and backoff are the reader's too
  size_t max_cached_elections = 10'000;
};

class RedisReadModel final : public ReadModel {
 public:
  // Connects lazily (a Redis that is down is not an error here); the publisher's thread starts
  // with the first Apply, the reader's connection with the first Get.
  RedisReadModel(RedisUrl url, const Clock& clock, RedisReadModelOptions options = {});
  ~RedisReadModel() override;

  Status Apply(const PartitionTally& update) override;
  Result<ElectionTally> Get(std::string_view election_id) override {
    return Get(election_id, nullptr);
  }
  // As Get; `*from_redis` says whether Redis answered (false: the last tally, Redis is down).
  Result<ElectionTally> Get(std::string_view election_id, bool* from_redis);

  // The processor's lag, sent as the write side's heartbeat (TallyPublisher::SetLagSource).
  void SetLagSource(std::function<WriteSideLag()> source) override {
    publisher_.SetLagSource(std::move(source));
  }
  // What the write side's heartbeats say now (redis_schema.h, kWriteSideScript), on the
  // reader's connection: kUnavailable while Redis cannot be read.
  struct WriteSide {
    uint32_t partitions = 0;  // the log's partition count; 0: no processor reported one
    uint32_t silent = 0;      // partitions no processor reported within the heartbeat TTL
    int64_t max_lag_ms = 0;   // the largest lag reported
  };
  Result<WriteSide> ReadWriteSide();

  // A processor that lost `partition` to another stops re-sending it (TallyPublisher).
  void ForgetPartition(uint32_t partition) { publisher_.ForgetPartition(partition); }
  PublisherStats publisher_stats() const { return publisher_.stats(); }
  // When Get last read Redis successfully (Unix ms by the clock; 0 never).
  int64_t last_read_ok_ms() const { return last_read_ok_ms_.load(); }

 private:
  // The reader's connection, (re)opened if needed and the backoff allows; false if none.
  Status Connected() REQUIRES(read_mu_);
  // A broken reader's connection is dropped, and the next connect waits a backoff step.
  void DropIfBroken() REQUIRES(read_mu_);
  // One partition's counts as last read, and what Get knows of an election.
  struct PartitionState {
    uint64_t offset = 0;
    OptionCounts counts;
  };
  struct Known {
    std::map<uint32_t, PartitionState> parts;
    ElectionTally tally;  // computed from `parts`, the last returned
  };
  struct RedisState {
    int64_t updated_at_ms = 0;
    std::map<uint32_t, PartitionState> parts;
  };
  Result<RedisState> Read(std::string_view election_id) REQUIRES(read_mu_);
  // Merges `now` into `known` (per partition, the higher offset wins) and recomputes its tally.
  static void Merge(Known& known, RedisState now);
  Result<ElectionTally> Fallback(std::string_view election_id, Status why) REQUIRES(read_mu_);

  const RedisUrl url_;
  const Clock& clock_;
  const RedisReadModelOptions opts_;
  TallyPublisher publisher_;

  Mutex read_mu_;
  std::unique_ptr<RedisConnection> reader_ GUARDED_BY(read_mu_);
  std::string read_sha_ GUARDED_BY(read_mu_);
  std::string write_side_sha_ GUARDED_BY(read_mu_);
  std::unique_ptr<Backoff> backoff_ GUARDED_BY(read_mu_);
  std::chrono::steady_clock::time_point retry_at_ GUARDED_BY(read_mu_);
  std::map<std::string, Known, std::less<>> last_ GUARDED_BY(read_mu_);
  std::atomic<int64_t> last_read_ok_ms_{0};
};

}  // namespace urna::redis
