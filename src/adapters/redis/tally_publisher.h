// TallyPublisher: the processor side of the Redis read model. Offer() keeps the latest absolute
// counts of each (partition, election) in memory and returns at once; its own thread
// (`urna-redis-pub`) sends what changed to Redis through the fenced Lua script (redis_schema.h),
// pipelined, and keeps retrying, with backoff and jitter, while Redis is down (docs/architecture.md
// §1, G6: the write side never waits for the read side). Redis refilled without anyone re-sending:
// every (partition, election) is re-sent after each reconnect, and after the publisher's marker
// key vanished (FLUSHALL, a failover to an empty replica), checked every `marker_check`; the
// fencing makes a re-send of what Redis already holds a no-op.
// Memory is bounded by `max_entries` (partition, election) pairs: past it, a new pair evicts the
// least recently changed pair already delivered (which is then not re-sent after a flush until it
// changes), or, if every pair is still undelivered, is dropped (Offer says so).
// Heartbeat: while the processor has given a lag source, every `heartbeat_every` the publisher
// sets its own entry (its random id) in `<prefix>:{live}:<P>` to the lag of each partition it
// processes and `<prefix>:{live}:n` to the partition count, with a TTL of `heartbeat_ttl`
// (kHeartbeatScript), so result servers can tell a write side that is down or behind from one
// with nothing new (docs/architecture.md §4, "stale"). The lag reported for a partition is the
// larger of the processor's and the age of the publisher's own oldest undelivered update of it
// (stuck pending, dropped by the memory bound, or to be re-sent to a Redis that lost it): a
// Redis not yet refilled is not reported as keeping up.
// Owned by RedisReadModel; Offer and stats are thread-safe; one sending thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "adapters/redis/redis_url.h"
#include "core/status.h"
#include "core/tally.h"
#include "ports/read_model.h"
#include "sync/mutex.h"

namespace urna::redis {

class RedisConnection;

struct PublisherOptions {
  std::string key_prefix = "urna";
  std::chrono::milliseconds connect_timeout{500};
  std::chrono::milliseconds io_timeout{1000};
  std::chrono::milliseconds backoff_min{50};
  std::chrono::milliseconds backoff_max{2000};
  std::chrono::milliseconds marker_check{1000};  // how often a flushed Redis is looked for
  size_t max_entries = 100'000;                  // (partition, election) pairs kept
  size_t batch = 256;                            // scripts per pipelined round trip
  // The write side's heartbeat (redis_schema.h, `{live}`), sent while a lag source is set.
  std::chrono::milliseconds heartbeat_every{1000};
  std::chrono::milliseconds heartbeat_ttl{5000};  // a processor silent this long counts as down
};

struct PublisherStats {
  bool connected = false;
  uint64_t connects = 0;  // successful (re)connections
  uint64_t failures = 0;  // failed connects and broken connections
  uint64_t applied = 0;   // script runs that changed Redis
  uint64_t fenced = 0;    // script runs refused by the offset (replays, re-sends)
  uint64_t refusals = 0;  // round trips in which Redis refused an update (OOM, READONLY)
  uint64_t resends = 0;   // full re-sends (after a reconnect or a vanished marker)
  uint64_t dropped = 0;   // updates dropped by the memory bound
  uint64_t beats = 0;     // heartbeats Redis took
  size_t entries = 0;     // (partition, election) pairs kept
  size_t pending = 0;     // of which not yet delivered
};

class TallyPublisher {
 public:
  TallyPublisher(RedisUrl url, PublisherOptions options);
  ~TallyPublisher();  // Stop()

  // Starts the sending thread; Offer calls it on first use (a result server, which never
  // applies, has no publisher thread and no connection for it).
  void Start();
  // Makes one last bounded attempt to deliver what is pending, then stops the thread.
  void Stop();

  // Keeps `update`'s counts for each of its elections unless an update with a higher or equal
  // offset is already kept for that (partition, election). Never touches the network.
  // kUnavailable when the memory bound dropped an election of the update.
  Status Offer(const PartitionTally& update, int64_t updated_at_ms);

  // Forgets what is kept for `partition` (this processor no longer owns it): not re-sent any
  // more, and its memory freed. What Redis holds is untouched (its new owner publishes).
  void ForgetPartition(uint32_t partition);

  // Where the heartbeat's lags come from (the processor, ReadModel::SetLagSource); empty: no
  // heartbeat any more (result servers see the partitions go silent when the TTL ends). Returns
  // once no call of the previous source runs. Starts the sending thread.
  void SetLagSource(std::function<WriteSideLag()> source);

  PublisherStats stats() const;

 private:
  struct Entry {
    uint64_t offset = 0;
    int64_t updated_at_ms = 0;
    std::shared_ptr<const OptionCounts> counts;
    uint64_t version = 0;  // Offer's change counter when last changed
    bool dirty = false;
    // Since when Redis lacks this entry's counts (set when it turns dirty): the backlog's age.
    std::chrono::steady_clock::time_point dirty_since;
  };
  using Key = std::pair<uint32_t, std::string>;  // (partition, election)
  struct Item {
    Key key;
    Entry entry;
  };
  enum class SendResult { kDone, kNoScript, kBroken, kRefused };

  void Run();
  std::unique_ptr<RedisConnection> Connect();
  bool MarkerPresent(RedisConnection& conn);
  // Sends the heartbeat if a lag source is set; false if the connection broke.
  bool Heartbeat(RedisConnection& conn);
  void Lost(std::unique_ptr<RedisConnection>& conn);  // drops it, counts a failure
  SendResult Send(RedisConnection& conn, const std::vector<Item>& items);
  // Every entry to be re-sent; Redis has lacked them since `since` at the latest.
  void MarkAllDirty(std::chrono::steady_clock::time_point since) REQUIRES(mu_);
  // Per partition, since when its oldest undelivered update waits (dirty or dropped).
  std::map<uint32_t, std::chrono::steady_clock::time_point> Backlog() const REQUIRES(mu_);
  bool EvictOne() REQUIRES(mu_);
  void WaitFor(std::chrono::milliseconds d);

  const RedisUrl url_;
  const PublisherOptions opts_;
  const std::string channel_;
  const std::string marker_key_;  // <prefix>:pub:<random>, one per publisher instance

  mutable Mutex mu_;
  CondVar cv_;
  std::map<Key, Entry> entries_ GUARDED_BY(mu_);
  // Pairs whose update the memory bound dropped (at most max_entries), and since when: counted
  // in the heartbeat's lag until an update of the pair is kept again.
  std::map<Key, std::chrono::steady_clock::time_point> dropped_ GUARDED_BY(mu_);
  size_t dirty_ GUARDED_BY(mu_) = 0;
  uint64_t version_ GUARDED_BY(mu_) = 0;
  bool stopping_ GUARDED_BY(mu_) = false;
  PublisherStats stats_ GUARDED_BY(mu_);
  std::string sha_;       // the apply script's SHA-1 (sending thread only)
  std::string beat_sha_;  // the heartbeat script's (sending thread only)
  // Since when Redis may lack what was delivered: the connection's loss, the last marker seen.
  std::chrono::steady_clock::time_point lost_at_, marker_seen_at_;  // (sending thread only)
  bool down_logged_ = false;  // an outage was logged, its end will be (sending thread only)
  bool refusing_ = false;     // Redis refuses updates (logged once) (sending thread only)
  Mutex lag_mu_;              // held while the source runs, so that SetLagSource can wait for it
  std::function<WriteSideLag()> lag_source_ GUARDED_BY(lag_mu_);
  std::atomic<bool> has_lag_source_{false};
  std::once_flag started_;
  std::thread thread_;
};

}  // namespace urna::redis
