// RedisTallyCache (a result server's read model) against a real redis-server.
#include "adapters/redis/redis_tally_cache.h"

#include <gtest/gtest.h>

#include "adapters/redis/redis_connection.h"
#include "adapters/redis/redis_schema.h"
#include "adapters/redis/redis_test_server.h"
#include "adapters/redis/redis_test_util.h"

namespace urna::redis {
namespace {

using testing::FastOptions;
using testing::Keeping;
using testing::ManualClock;
using testing::Update;
using testing::WaitUntil;

TallyCacheOptions CacheOptions(std::chrono::milliseconds refresh) {
  TallyCacheOptions o;
  o.reader = FastOptions();
  o.subscriber.backoff_min = std::chrono::milliseconds(10);
  o.subscriber.backoff_max = std::chrono::milliseconds(200);
  o.subscriber.refresh_every = refresh;
  o.write_side_every = std::chrono::milliseconds(50);
  return o;
}

bool Shows(RedisTallyCache& cache, uint64_t seq, const OptionCounts& votes) {
  auto t = cache.Get("e1");
  return t.ok() && t->seq == seq && t->votes == votes;
}

TEST(RedisTallyCacheTest, FollowsChangesThroughPubSub) {
  RedisTestServer server;
  ASSERT_TRUE(server.running());
  auto url = ParseRedisUrl(server.url());
  ManualClock clock;
  RedisReadModel processor(*url, clock, FastOptions());
  processor.SetLagSource(Keeping(2));  // a write side that keeps up
  ASSERT_TRUE(processor.Apply(Update(0, 4, "e1", {{"a", 4}})).ok());
  ASSERT_TRUE(WaitUntil([&] { return processor.publisher_stats().pending == 0; }));
  // A refresh period longer than the test: only pub/sub can bring the later changes.
  RedisTallyCache cache(*url, clock, CacheOptions(std::chrono::minutes(5)));
  cache.Start();
  auto first = cache.Get("e1");  // not read yet: loading, and read at once
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.status().code(), Code::kUnavailable);
  ASSERT_TRUE(WaitUntil([&] { return Shows(cache, 4, {{"a", 4}}); }));
  ASSERT_TRUE(WaitUntil([&] { return !cache.stale(); }));
  ASSERT_TRUE(processor.Apply(Update(1, 2, "e1", {{"a", 1}, {"b", 1}})).ok());
  ASSERT_TRUE(WaitUntil([&] { return Shows(cache, 6, {{"a", 5}, {"b", 1}}); }));
  EXPECT_EQ(cache.Apply(Update(0, 9, "e1", {})).code(), Code::kInternal);  // read-only
}

// The change listener (`urna results` wakes its hub with it) hears of each tally read that is
// new: the first read and each change brought by pub/sub.
TEST(RedisTallyCacheTest, TellsItsListenerWhenATallyChanges) {
  RedisTestServer server;
  ASSERT_TRUE(server.running());
  auto url = ParseRedisUrl(server.url());
  ManualClock clock;
  RedisReadModel processor(*url, clock, FastOptions());
  processor.SetLagSource(Keeping(2));
  ASSERT_TRUE(processor.Apply(Update(0, 4, "e1", {{"a", 4}})).ok());
  ASSERT_TRUE(WaitUntil([&] { return processor.publisher_stats().pending == 0; }));
  RedisTallyCache cache(*url, clock, CacheOptions(std::chrono::minutes(5)));
  std::atomic<int> heard{0};
  cache.SetChangeListener([&] { ++heard; });
  cache.Start();
  (void)cache.Get("e1");
  ASSERT_TRUE(WaitUntil([&] { return Shows(cache, 4, {{"a", 4}}) && heard >= 1; }));
  int before = heard;
  ASSERT_TRUE(processor.Apply(Update(1, 2, "e1", {{"b", 2}})).ok());
  ASSERT_TRUE(WaitUntil([&] { return Shows(cache, 6, {{"a", 4}, {"b", 2}}); }));
  EXPECT_TRUE(WaitUntil([&] { return heard > before; }));
}

// Redis killed: the last snapshot stays, marked stale; restarted empty: the processor refills
// it and the cache comes back to the latest by itself, seq never going back on the way.
TEST(RedisTallyCacheTest, KeepsTheLastSnapshotWhileRedisIsDown) {
  RedisTestServer server;
  ASSERT_TRUE(server.running());
  auto url = ParseRedisUrl(server.url());
  ManualClock clock;
  RedisReadModel processor(*url, clock, FastOptions());
  processor.SetLagSource(Keeping(2));
  RedisTallyCache cache(*url, clock, CacheOptions(std::chrono::milliseconds(300)));
  cache.Start();
  ASSERT_TRUE(processor.Apply(Update(0, 3, "e1", {{"a", 3}})).ok());
  ASSERT_TRUE(processor.Apply(Update(1, 2, "e1", {{"b", 2}})).ok());
  cache.Get("e1");
  ASSERT_TRUE(WaitUntil([&] { return Shows(cache, 5, {{"a", 3}, {"b", 2}}); }));

  server.Kill9();
  ASSERT_TRUE(WaitUntil([&] { return cache.stale(); }));
  EXPECT_TRUE(Shows(cache, 5, {{"a", 3}, {"b", 2}}));
  EXPECT_TRUE(cache.Get("e1")->stale);                                // what the snapshot says
  ASSERT_TRUE(processor.Apply(Update(0, 7, "e1", {{"a", 7}})).ok());  // counted meanwhile

  ASSERT_TRUE(server.Restart());
  uint64_t last_seq = 0;
  bool monotone = true;
  ASSERT_TRUE(WaitUntil([&] {
    auto t = cache.Get("e1");
    if (t.ok()) {
      monotone = monotone && t->seq >= last_seq;
      last_seq = t->seq;
    }
    return Shows(cache, 9, {{"a", 7}, {"b", 2}}) && !cache.stale();
  }));
  EXPECT_TRUE(monotone);
}

// A change whose message was lost (here: published on another channel) is picked up by the
// periodic re-read, the safety net.
TEST(RedisTallyCacheTest, PeriodicRefreshCatchesALostMessage) {
  RedisTestServer server;
  ASSERT_TRUE(server.running());
  auto url = ParseRedisUrl(server.url());
  ManualClock clock;
  RedisTallyCache cache(*url, clock, CacheOptions(std::chrono::milliseconds(200)));
  cache.Start();
  cache.Get("e1");
  ASSERT_TRUE(WaitUntil([&] { return Shows(cache, 0, {}); }));
  auto conn = RedisConnection::Open(*url, {});
  ASSERT_TRUE(conn.ok());
  auto sha = (*conn)->LoadScript(kApplyScript);
  ASSERT_TRUE(sha.ok());
  auto r = (*conn)->Command({"EVALSHA", *sha, "3", OffsetsKey("urna", "e1"),
                             CountsKeyPrefix("urna", "e1") + "0", UpdatedAtKey("urna", "e1"), "0",
                             "3", "1", "elsewhere", "e1", "a", "3"});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ((*r)->integer, 1);
  EXPECT_TRUE(WaitUntil([&] { return Shows(cache, 3, {{"a", 3}}); }));
}

// The write side's heartbeats (TallyPublisher) decide `stale` while Redis is fine: no
// processor at all, a lag above the bound, a partition no live processor reports (its TTL
// ended), each mark the tallies stale; a write side keeping up clears it.
TEST(RedisTallyCacheTest, WriteSideHeartbeatsDecideStaleness) {
  RedisTestServer server;
  ASSERT_TRUE(server.running());
  auto url = ParseRedisUrl(server.url());
  ManualClock clock;
  RedisReadModel processor(*url, clock, FastOptions());
  ASSERT_TRUE(processor.Apply(Update(0, 4, "e1", {{"a", 4}})).ok());
  auto options = CacheOptions(std::chrono::minutes(5));
  options.stale_after = std::chrono::milliseconds(1000);
  RedisTallyCache cache(*url, clock, options);
  cache.Start();
  cache.Get("e1");
  ASSERT_TRUE(WaitUntil([&] { return Shows(cache, 4, {{"a", 4}}); }));
  auto stale_for = [&](std::string_view why) {
    auto t = cache.Get("e1");
    return t.ok() && t->stale && cache.stale_reason().find(why) != std::string::npos;
  };
  auto fresh = [&] {
    auto t = cache.Get("e1");
    return t.ok() && !t->stale && !cache.stale() && cache.stale_reason().empty();
  };
  EXPECT_TRUE(WaitUntil([&] { return stale_for("no processor"); })) << cache.stale_reason();

  std::atomic<uint32_t> reported{2};
  std::atomic<int64_t> lag{0};
  processor.SetLagSource([&] {
    WriteSideLag w;
    w.partitions = 2;
    for (uint32_t p = 0; p < reported; ++p) w.lag_ms[p] = lag;
    return w;
  });
  EXPECT_TRUE(WaitUntil(fresh)) << cache.stale_reason();
  lag = 1500;  // above the bound
  EXPECT_TRUE(WaitUntil([&] { return stale_for("lag by 1500 ms"); })) << cache.stale_reason();
  lag = 900;  // below it
  EXPECT_TRUE(WaitUntil(fresh)) << cache.stale_reason();
  reported = 1;  // partition 1's processor is gone: its heartbeat expires
  EXPECT_TRUE(WaitUntil([&] { return stale_for("1 of 2 partitions"); })) << cache.stale_reason();
  // Another processor takes partition 1 (its own publisher): the two together cover the log.
  RedisReadModel second(*url, clock, FastOptions());
  second.SetLagSource([] { return WriteSideLag{2, {{1, 0}}}; });
  EXPECT_TRUE(WaitUntil(fresh)) << cache.stale_reason();
  second.SetLagSource(nullptr);  // it stops
  processor.SetLagSource(nullptr);
  EXPECT_TRUE(WaitUntil([&] { return stale_for("no processor"); })) << cache.stale_reason();
  EXPECT_TRUE(Shows(cache, 4, {{"a", 4}}));  // the last tally all along
}

// Updates stuck in the publisher (Redis refuses them: here an ACL lets the processor write its
// heartbeats but not the tallies) count in the lag it reports: the result server marks its
// tallies stale although the processor itself keeps up.
TEST(RedisTallyCacheTest, UndeliveredUpdatesCountInTheReportedLag) {
  RedisTestServer server;
  ASSERT_TRUE(server.running());
  ASSERT_EQ(server.Cli("ACL SETUSER pub on '>pw' +@all '~urna:{live}:*' '~urna:pub:*' '&*'"),
            "OK\n");
  auto url = ParseRedisUrl(server.url());
  auto pub_url = ParseRedisUrl("redis://pub:pw@127.0.0.1:" + std::to_string(server.port()) + "/0");
  ASSERT_TRUE(pub_url.ok());
  ManualClock clock;
  RedisReadModel processor(*pub_url, clock, FastOptions());
  processor.SetLagSource(Keeping(1));  // the processor keeps up
  ASSERT_TRUE(processor.Apply(Update(0, 4, "e1", {{"a", 4}})).ok());
  auto options = CacheOptions(std::chrono::minutes(5));
  options.stale_after = std::chrono::milliseconds(500);
  RedisTallyCache cache(*url, clock, options);
  cache.Start();
  cache.Get("e1");
  ASSERT_TRUE(WaitUntil([&] { return Shows(cache, 0, {}); }));
  EXPECT_TRUE(WaitUntil([&] { return processor.publisher_stats().refusals > 0; }));
  EXPECT_TRUE(WaitUntil([&] {
    auto t = cache.Get("e1");
    return t.ok() && t->stale && cache.stale_reason().find("lag by") != std::string::npos;
  })) << cache.stale_reason();
  // Let it through: the update lands, the backlog is gone, the tallies are fresh again.
  ASSERT_EQ(server.Cli("ACL SETUSER pub allkeys"), "OK\n");
  EXPECT_TRUE(WaitUntil([&] {
    auto t = cache.Get("e1");
    return Shows(cache, 4, {{"a", 4}}) && t.ok() && !t->stale;
  })) << cache.stale_reason();
}

// A failed read (here the election's offsets key holds the wrong type) is retried by itself,
// with backoff: once Redis answers again, the tally is fresh without waiting for a change
// message or the periodic refresh.
TEST(RedisTallyCacheTest, FailedReadIsRetriedWithoutWaitingForTheRefresh) {
  RedisTestServer server;
  ASSERT_TRUE(server.running());
  auto url = ParseRedisUrl(server.url());
  ManualClock clock;
  RedisReadModel processor(*url, clock, FastOptions());
  processor.SetLagSource(Keeping(1));
  ASSERT_TRUE(processor.Apply(Update(0, 4, "e1", {{"a", 4}})).ok());
  ASSERT_TRUE(WaitUntil([&] { return processor.publisher_stats().pending == 0; }));
  RedisTallyCache cache(*url, clock, CacheOptions(std::chrono::hours(1)));
  cache.Start();
  cache.Get("e1");
  auto fresh = [&] {
    auto t = cache.Get("e1");
    return t.ok() && !t->stale && t->seq == 4;
  };
  ASSERT_TRUE(WaitUntil(fresh)) << cache.stale_reason();
  // Break the key, and tell the cache (as a change message does): the read fails.
  ASSERT_EQ(server.Cli("DEL 'urna:{e1}:off'"), "1\n");
  ASSERT_EQ(server.Cli("SET 'urna:{e1}:off' broken"), "OK\n");
  server.Cli("PUBLISH urna:changed e1");
  ASSERT_TRUE(WaitUntil([&] { return cache.stale_reason() == "cannot read redis"; }))
      << cache.stale_reason();
  EXPECT_TRUE(Shows(cache, 4, {{"a", 4}}));  // the last tally meanwhile
  // Repaired behind its back at once (RENAME replaces the key atomically), with no message: the
  // retry finds it.
  ASSERT_EQ(server.Cli("HSET 'urna:{e1}:new' 0 5"), "1\n");
  ASSERT_EQ(server.Cli("RENAME 'urna:{e1}:new' 'urna:{e1}:off'"), "OK\n");
  EXPECT_TRUE(WaitUntil([&] {
    auto t = cache.Get("e1");
    return t.ok() && !t->stale && t->seq == 5;
  })) << cache.stale_reason();
}

}  // namespace
}  // namespace urna::redis
