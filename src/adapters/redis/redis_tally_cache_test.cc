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
using testing::ManualClock;
using testing::Update;
using testing::WaitUntil;

TallyCacheOptions CacheOptions(std::chrono::milliseconds refresh) {
  TallyCacheOptions o;
  o.reader = FastOptions();
  o.subscriber.backoff_min = std::chrono::milliseconds(10);
  o.subscriber.backoff_max = std::chrono::milliseconds(200);
  o.subscriber.refresh_every = refresh;
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

// Redis killed: the last snapshot stays, marked stale; restarted empty: the processor refills
// it and the cache comes back to the latest by itself, seq never going back on the way.
TEST(RedisTallyCacheTest, KeepsTheLastSnapshotWhileRedisIsDown) {
  RedisTestServer server;
  ASSERT_TRUE(server.running());
  auto url = ParseRedisUrl(server.url());
  ManualClock clock;
  RedisReadModel processor(*url, clock, FastOptions());
  RedisTallyCache cache(*url, clock, CacheOptions(std::chrono::milliseconds(300)));
  cache.Start();
  ASSERT_TRUE(processor.Apply(Update(0, 3, "e1", {{"a", 3}})).ok());
  ASSERT_TRUE(processor.Apply(Update(1, 2, "e1", {{"b", 2}})).ok());
  cache.Get("e1");
  ASSERT_TRUE(WaitUntil([&] { return Shows(cache, 5, {{"a", 3}, {"b", 2}}); }));

  server.Kill9();
  ASSERT_TRUE(WaitUntil([&] { return cache.stale(); }));
  EXPECT_TRUE(Shows(cache, 5, {{"a", 3}, {"b", 2}}));
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

}  // namespace
}  // namespace urna::redis
