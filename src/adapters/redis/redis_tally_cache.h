// RedisTallyCache: the read model of a result server (`urna results`, issue 10). Get answers
// from memory at once and never touches Redis, so the hub and the network threads may call it.
// Its thread (`urna-redis-read`) fills the memory: an election is read from Redis (through a
// RedisReadModel: atomic sum over partitions, seq never going back) the first time Get asks for
// it, again whenever the ChangeSubscriber hears that it changed, and every election held is
// re-read after each (re)subscription and every `refresh_every` (the safety net: pub/sub loses
// messages sent while disconnected). A failed read is retried by itself, with backoff, and the
// end of a failure streak re-reads everything held. While Redis is down, Get keeps answering the
// last tally and stale() says so; also while the processors' heartbeats (TallyPublisher) say the
// write side is down or lagging past `stale_after`, read every `write_side_every`. At most
// `max_elections` are held (the least recently asked for goes). Apply is refused: a result server
// never counts. Owned by the results role; thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <thread>

#include "adapters/redis/change_subscriber.h"
#include "adapters/redis/redis_read_model.h"
#include "adapters/redis/redis_url.h"
#include "ports/clock.h"
#include "ports/read_model.h"
#include "sync/mutex.h"

namespace urna::redis {

struct TallyCacheOptions {
  RedisReadModelOptions reader;
  SubscriberOptions subscriber;  // refresh_every: the full re-read period
  size_t max_elections = 10'000;
  // The write side's bound (docs/architecture.md §4, "stale"): tallies are marked stale while
  // a partition's processor reports a lag above it, or no processor reports the partition (its
  // heartbeat's TTL ended: down, or cut off from Redis). Read every `write_side_every`.
  std::chrono::milliseconds stale_after{kDefaultStaleAfterMs};
  std::chrono::milliseconds write_side_every{1000};
};

class RedisTallyCache final : public ReadModel {
 public:
  RedisTallyCache(RedisUrl url, const Clock& clock, TallyCacheOptions options = {});
  ~RedisTallyCache() override;  // Stop()

  // Before Start: called on the cache's thread each time a read brings an election's tally
  // that differs from the one held (a new seq, or the first read): `urna results` wakes its
  // hub with it, so a change is pushed as soon as it is read rather than at the next tick.
  // Must not block.
  void SetChangeListener(std::function<void()> listener);
  void Start();
  void Stop();

  Status Apply(const PartitionTally& update) override;
  // The last tally read from Redis. An election not read yet: kUnavailable ("loading"), and it
  // is read at once (the hub's next tick, or the client's retry, finds it).
  Result<ElectionTally> Get(std::string_view election_id) override;

  // True while the subscription is down, the last read from Redis failed, or the write side is
  // down or lagging past `stale_after` (its heartbeats): what Get answers may be old
  // (`updated_at` says how old). Get's tallies carry it (ElectionTally::stale).
  bool stale() const;
  // Why stale() is true, for logs ("" when it is not).
  std::string stale_reason() const;

 private:
  struct Held {
    ElectionTally tally;
    bool loaded = false;
    uint64_t last_asked = 0;  // Get's counter, for eviction
  };
  void Run();
  // When Run's wait ends: the next write-side check, or sooner a retry of failed reads.
  std::chrono::steady_clock::time_point WakeAt(
      std::chrono::steady_clock::time_point next_check) const REQUIRES(mu_);
  void Wanted(std::string_view election);  // from the subscriber's thread
  void RefreshAll();
  void RefreshAllLocked() REQUIRES(mu_);
  void CheckWriteSide();  // the cache's thread
  bool StaleLocked() const REQUIRES(mu_);

  const TallyCacheOptions opts_;
  RedisReadModel reader_;  // used by the cache's thread only
  ChangeSubscriber subscriber_;

  mutable Mutex mu_;
  CondVar cv_;
  std::map<std::string, Held, std::less<>> held_ GUARDED_BY(mu_);
  std::set<std::string> to_read_ GUARDED_BY(mu_);
  // Elections whose last read failed: read again at `retry_at_` (backoff, the cache's thread),
  // sooner once the write-side check reads Redis again. Non-empty: stale ("cannot read redis").
  std::set<std::string> failing_ GUARDED_BY(mu_);
  std::chrono::steady_clock::time_point retry_at_ GUARDED_BY(mu_);
  bool write_side_read_ok_ GUARDED_BY(mu_) = true;  // the last write-side check read Redis
  uint64_t asks_ GUARDED_BY(mu_) = 0;
  std::string write_side_problem_ GUARDED_BY(mu_) = "not read yet";  // "" when it keeps up
  bool stopping_ GUARDED_BY(mu_) = false;
  std::function<void()> on_change_;  // set before Start, then read by the cache's thread only
  std::thread thread_;
};

}  // namespace urna::redis
