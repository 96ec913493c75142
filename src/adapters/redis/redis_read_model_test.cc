// RedisReadModel and ChangeSubscriber against a real redis-server (redis_test_server.h).
#include "adapters/redis/redis_read_model.h"

#include <gtest/gtest.h>

#include <signal.h>

#include <set>

#include "adapters/redis/change_subscriber.h"
#include "adapters/redis/redis_connection.h"
#include "adapters/redis/redis_schema.h"
#include "adapters/redis/redis_test_server.h"
#include "adapters/redis/redis_test_util.h"
#include "sync/mutex.h"

namespace urna::redis {
namespace {

using testing::FastOptions;
using testing::FreshGet;
using testing::ManualClock;
using testing::Update;
using testing::WaitUntil;

bool Delivered(const RedisReadModel& rm) { return rm.publisher_stats().pending == 0; }

TEST(RedisReadModelTest, SumsPartitionsAndFencesOlderAndEqualOffsets) {
  RedisTestServer server;
  ASSERT_TRUE(server.running());
  auto url = ParseRedisUrl(server.url());
  ManualClock clock;
  RedisReadModel rm(*url, clock, FastOptions());
  EXPECT_EQ(rm.Get("e1")->seq, 0u);  // nothing counted yet
  ASSERT_TRUE(rm.Apply(Update(0, 10, "e1", {{"a", 3}, {"b", 1}})).ok());
  clock.now = 1'000'500;
  ASSERT_TRUE(rm.Apply(Update(1, 5, "e1", {{"a", 2}})).ok());
  ASSERT_TRUE(WaitUntil([&] { return Delivered(rm); }));
  auto t = FreshGet(*url, "e1");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->votes, (OptionCounts{{"a", 5}, {"b", 1}}));
  EXPECT_EQ(t->seq, 15u);  // the sum of the partitions' next offsets, as LocalReadModel
  EXPECT_EQ(t->updated_at_ms, 1'000'500);

  // A zombie processor (its own publisher, so its own memory does not fence it) publishes an
  // older offset of partition 0, then the same offset with other counts: Redis keeps the tally.
  ManualClock zombie_clock;
  zombie_clock.now = 2'000'000;
  RedisReadModel zombie(*url, zombie_clock, FastOptions());
  ASSERT_TRUE(zombie.Apply(Update(0, 8, "e1", {{"a", 1}})).ok());
  ASSERT_TRUE(WaitUntil([&] { return Delivered(zombie); }));
  ASSERT_TRUE(zombie.Apply(Update(0, 10, "e1", {{"a", 100}, {"b", 7}})).ok());
  ASSERT_TRUE(WaitUntil([&] { return Delivered(zombie); }));
  EXPECT_EQ(zombie.publisher_stats().fenced, 2u);
  EXPECT_EQ(zombie.publisher_stats().applied, 0u);
  t = FreshGet(*url, "e1");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->votes, (OptionCounts{{"a", 5}, {"b", 1}}));
  EXPECT_EQ(t->seq, 15u);
  EXPECT_EQ(t->updated_at_ms, 1'000'500);  // a fenced update changes nothing, not even the time

  // A newer one replaces the partition's counts (absolute, not added) and seq grows.
  ASSERT_TRUE(rm.Apply(Update(0, 12, "e1", {{"a", 4}, {"b", 1}})).ok());
  ASSERT_TRUE(WaitUntil([&] { return Delivered(rm); }));
  t = rm.Get("e1");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->votes, (OptionCounts{{"a", 6}, {"b", 1}}));
  EXPECT_EQ(t->seq, 17u);
  // Other elections are apart.
  EXPECT_EQ(FreshGet(*url, "e2")->seq, 0u);
  EXPECT_TRUE(FreshGet(*url, "e2")->votes.empty());
}

// A processor that restarts (or takes a partition over in a rebalance) republishes the counts it
// loaded at its partition's next offset, moved on by other elections' votes meanwhile: the
// election's counts did not change, so neither does its updated_at. Counts that do change raise
// it, and a first publish (nothing stored, as after Redis lost its data) sets it.
TEST(RedisReadModelTest, UpdatedAtMovesOnlyWhenTheCountsChange) {
  RedisTestServer server;
  ASSERT_TRUE(server.running());
  auto url = ParseRedisUrl(server.url());
  ManualClock clock;
  {
    RedisReadModel processor(*url, clock, FastOptions());
    ASSERT_TRUE(processor.Apply(Update(0, 10, "e1", {{"a", 3}, {"b", 1}})).ok());
    ASSERT_TRUE(processor.Apply(Update(1, 4, "e1", {{"a", 1}})).ok());
    ASSERT_TRUE(WaitUntil([&] { return Delivered(processor); }));
  }
  EXPECT_EQ(FreshGet(*url, "e1")->updated_at_ms, 1'000'000);

  clock.now = 5'000'000;  // the restart, an hour later
  {
    RedisReadModel restarted(*url, clock, FastOptions());
    ASSERT_TRUE(restarted.Apply(Update(0, 25, "e1", {{"b", 1}, {"a", 3}})).ok());
    ASSERT_TRUE(restarted.Apply(Update(1, 4, "e1", {{"a", 1}})).ok());  // equal offset: fenced
    ASSERT_TRUE(WaitUntil([&] { return Delivered(restarted); }));
    EXPECT_EQ(restarted.publisher_stats().applied, 1u);
    auto t = FreshGet(*url, "e1");
    ASSERT_TRUE(t.ok()) << t.status().message();
    EXPECT_EQ(t->votes, (OptionCounts{{"a", 4}, {"b", 1}}));
    EXPECT_EQ(t->seq, 29u);  // the offset is taken (readers merge per partition by it)
    EXPECT_EQ(t->updated_at_ms, 1'000'000);

    // Counts as many as before but for another option (compared by option, not by size), then
    // one more vote in the other partition: each raises it.
    clock.now = 6'000'000;
    ASSERT_TRUE(restarted.Apply(Update(0, 26, "e1", {{"a", 3}, {"c", 1}})).ok());
    ASSERT_TRUE(WaitUntil([&] { return Delivered(restarted); }));
    EXPECT_EQ(FreshGet(*url, "e1")->updated_at_ms, 6'000'000);
    clock.now = 7'000'000;
    ASSERT_TRUE(restarted.Apply(Update(1, 30, "e1", {{"a", 2}})).ok());
    ASSERT_TRUE(WaitUntil([&] { return Delivered(restarted); }));
    t = FreshGet(*url, "e1");
    EXPECT_EQ(t->votes, (OptionCounts{{"a", 5}, {"c", 1}}));
    EXPECT_EQ(t->updated_at_ms, 7'000'000);
    // A new partition's first counts (another processor's first publish) set it too.
    clock.now = 8'000'000;
    ASSERT_TRUE(restarted.Apply(Update(2, 3, "e1", {})).ok());
    ASSERT_TRUE(WaitUntil([&] { return Delivered(restarted); }));
    EXPECT_EQ(FreshGet(*url, "e1")->updated_at_ms, 8'000'000);
  }
}

// The script itself: offsets compare exactly as decimals, also past 2^53 and across lengths.
TEST(RedisReadModelTest, ApplyScriptComparesOffsetsExactly) {
  RedisTestServer server;
  ASSERT_TRUE(server.running());
  auto conn = RedisConnection::Open(*ParseRedisUrl(server.url()), {});
  ASSERT_TRUE(conn.ok());
  auto sha = (*conn)->LoadScript(kApplyScript);
  ASSERT_TRUE(sha.ok());
  auto apply = [&](const std::string& offset, const std::string& votes) {
    auto r = (*conn)->Command({"EVALSHA", *sha, "3", "t:{e}:off", "t:{e}:p:0", "t:{e}:at", "0",
                               offset, "1", "t:changed", "e", "a", votes});
    EXPECT_TRUE(r.ok());
    return r.ok() && (*r)->type == REDIS_REPLY_INTEGER ? (*r)->integer : -1;
  };
  auto votes = [&] { return ReplyText((*conn)->Command({"HGET", "t:{e}:p:0", "a"})->get()); };
  EXPECT_EQ(apply("9", "1"), 1);
  EXPECT_EQ(apply("10", "2"), 1);  // longer is newer ("10" < "9" as plain strings)
  EXPECT_EQ(apply("9", "3"), 0);
  EXPECT_EQ(apply("10", "4"), 0);  // equal: a no-op
  EXPECT_EQ(votes(), "2");
  EXPECT_EQ(apply("9007199254740992", "5"), 1);  // 2^53
  EXPECT_EQ(apply("9007199254740993", "6"), 1);  // 2^53 + 1: equal to 2^53 as a double
  EXPECT_EQ(apply("9007199254740992", "7"), 0);
  EXPECT_EQ(apply("18446744073709551615", "8"), 1);  // the largest uint64
  EXPECT_EQ(apply("18446744073709551614", "9"), 0);
  EXPECT_EQ(votes(), "8");
}

TEST(RedisReadModelTest, SubscriberHearsAppliedChangesOnly) {
  RedisTestServer server;
  ASSERT_TRUE(server.running());
  auto url = ParseRedisUrl(server.url());
  Mutex mu;
  std::multiset<std::string> heard;
  std::atomic<int> refreshes{0};
  ChangeSubscriber sub(
      *url, {},
      [&](std::string_view e) {
        MutexLock lock(mu);
        heard.emplace(e);
      },
      [&] { ++refreshes; });
  sub.Start();
  ASSERT_TRUE(WaitUntil([&] { return sub.connected(); }));
  EXPECT_GE(refreshes.load(), 1);  // a (re)subscription asks the owner to re-read everything
  auto count = [&](const char* e) {
    MutexLock lock(mu);
    return heard.count(e);
  };
  ManualClock clock;
  RedisReadModel rm(*url, clock, FastOptions());
  ASSERT_TRUE(rm.Apply(Update(0, 3, "e1", {{"a", 3}})).ok());
  ASSERT_TRUE(WaitUntil([&] { return count("e1") == 1; }));
  // A fenced update publishes nothing: replay partition 0 at its offset, then change e2. Redis
  // runs scripts one at a time and delivers messages in order, so once e2's message is here,
  // a message for the replay would have been too.
  RedisReadModel replay(*url, clock, FastOptions());
  ASSERT_TRUE(replay.Apply(Update(0, 3, "e1", {{"a", 3}})).ok());
  ASSERT_TRUE(WaitUntil([&] { return Delivered(replay); }));
  ASSERT_TRUE(rm.Apply(Update(1, 4, "e2", {{"x", 1}})).ok());
  ASSERT_TRUE(WaitUntil([&] { return count("e2") == 1; }));
  EXPECT_EQ(count("e1"), 1u);
  sub.Stop();
  EXPECT_FALSE(sub.connected());
}

TEST(RedisReadModelTest, PasswordAndDatabaseFromTheUrl) {
  RedisTestServer server("s3cret");
  ASSERT_TRUE(server.running());
  ManualClock clock;
  auto url = ParseRedisUrl("redis://:s3cret@127.0.0.1:" + std::to_string(server.port()) + "/3");
  ASSERT_TRUE(url.ok());
  {
    RedisReadModel rm(*url, clock, FastOptions());
    ASSERT_TRUE(rm.Apply(Update(0, 2, "e1", {{"a", 2}})).ok());
    ASSERT_TRUE(WaitUntil([&] { return Delivered(rm); }));
    EXPECT_EQ(rm.Get("e1")->votes, (OptionCounts{{"a", 2}}));
  }
  // Stored in db 3, not db 0.
  EXPECT_EQ(FreshGet(*url, "e1")->seq, 2u);
  url->db = 0;
  EXPECT_EQ(FreshGet(*url, "e1")->seq, 0u);
  // A wrong password: refused, never applied, and Get says why.
  url->password = "wrong";
  RedisReadModel bad(*url, clock, FastOptions());
  ASSERT_TRUE(bad.Apply(Update(0, 9, "e1", {{"a", 9}})).ok());  // kept for later: G6
  auto got = bad.Get("e1");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), Code::kPermissionDenied);
  EXPECT_NE(got.status().message().find("AUTH"), std::string::npos);
  EXPECT_FALSE(bad.publisher_stats().connected);
}

// A partial refill whose offsets are larger than the whole sum seen before (a busy election
// sharing the partitions moved them on while Redis was down): the partitions Redis still lacks
// keep their last counts, so the tally never goes back, and it is marked stale until they are
// back (the reviewer's scenario: seq alone let half the counts through as fresh).
TEST(RedisReadModelTest, PartialRefillIsMergedPerPartitionAndMarkedStale) {
  RedisTestServer server;
  ASSERT_TRUE(server.running());
  auto url = ParseRedisUrl(server.url());
  ManualClock clock;
  {
    RedisReadModel processor(*url, clock, FastOptions());
    for (uint32_t p = 0; p < 4; ++p) {
      ASSERT_TRUE(processor.Apply(Update(p, 100, "e1", {{"a", 5}})).ok());
    }
    ASSERT_TRUE(WaitUntil([&] { return Delivered(processor); }));
  }
  RedisReadModel reader(*url, clock, FastOptions());
  auto t = reader.Get("e1");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->seq, 400u);
  EXPECT_EQ(t->votes, (OptionCounts{{"a", 20}}));
  EXPECT_FALSE(t->stale);
  auto conn = RedisConnection::Open(*url, {});
  ASSERT_TRUE(conn.ok());
  ASSERT_TRUE((*conn)->Command({"FLUSHALL"}).ok());
  // Processor A re-sends its two partitions first, at offsets far past the old ones.
  RedisReadModel refill(*url, clock, FastOptions());
  ASSERT_TRUE(refill.Apply(Update(0, 250, "e1", {{"a", 6}})).ok());
  ASSERT_TRUE(refill.Apply(Update(1, 250, "e1", {{"a", 6}})).ok());
  ASSERT_TRUE(WaitUntil([&] { return Delivered(refill); }));
  bool from_redis = false;
  t = reader.Get("e1", &from_redis);
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(from_redis);
  EXPECT_EQ(t->votes, (OptionCounts{{"a", 22}}));  // Redis alone says 12
  EXPECT_EQ(t->seq, 700u);
  EXPECT_TRUE(t->stale);  // partitions 2 and 3 are not back yet
  ASSERT_TRUE(refill.Apply(Update(2, 250, "e1", {{"a", 6}})).ok());
  ASSERT_TRUE(refill.Apply(Update(3, 250, "e1", {{"a", 6}})).ok());
  ASSERT_TRUE(WaitUntil([&] { return Delivered(refill); }));
  t = reader.Get("e1");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->votes, (OptionCounts{{"a", 24}}));
  EXPECT_EQ(t->seq, 1000u);
  EXPECT_FALSE(t->stale);
}

// Two processors reporting the same partition (a zombie that lost it keeps writing until its
// session times out) never flap: the largest lag of the live reports counts, whoever wrote last,
// and a report older than its TTL no longer counts.
TEST(RedisReadModelTest, HeartbeatsOfTwoProcessorsForOnePartitionDoNotFlap) {
  RedisTestServer server;
  ASSERT_TRUE(server.running());
  auto url = ParseRedisUrl(server.url());
  ManualClock clock;
  auto slow_options = FastOptions();
  slow_options.publisher.heartbeat_ttl = std::chrono::milliseconds(1500);
  RedisReadModel lagging(*url, clock, slow_options);
  RedisReadModel keeping(*url, clock, FastOptions());
  RedisReadModel reader(*url, clock, FastOptions());
  lagging.SetLagSource(testing::Keeping(1, 7000));
  ASSERT_TRUE(WaitUntil([&] { return lagging.publisher_stats().beats > 0; }));
  lagging.SetLagSource(nullptr);  // its last report stays live for its TTL
  const uint64_t before = keeping.publisher_stats().beats;
  keeping.SetLagSource(testing::Keeping(1, 0));
  ASSERT_TRUE(WaitUntil([&] { return keeping.publisher_stats().beats > before; }));
  auto w = reader.ReadWriteSide();  // the keeping processor wrote last
  ASSERT_TRUE(w.ok()) << w.status().message();
  EXPECT_EQ(w->partitions, 1u);
  EXPECT_EQ(w->silent, 0u);
  EXPECT_EQ(w->max_lag_ms, 7000);
  // Once the lagging report is older than its TTL, only the live one counts.
  EXPECT_TRUE(WaitUntil([&] {
    auto r = reader.ReadWriteSide();
    return r.ok() && r->max_lag_ms == 0 && r->silent == 0;
  }));
}

// The subscriber PINGs every `ping_every` whatever the refresh period, so a Redis gone silent
// (SIGSTOP: the connection stays open) is noticed promptly even with an hour between refreshes.
TEST(RedisReadModelTest, SubscriberPingDoesNotWaitForTheRefresh) {
  RedisTestServer server;
  ASSERT_TRUE(server.running());
  SubscriberOptions options;
  options.refresh_every = std::chrono::hours(1);
  options.ping_every = std::chrono::milliseconds(100);
  ChangeSubscriber sub(
      *ParseRedisUrl(server.url()), options, [](std::string_view) {}, [] {});
  sub.Start();
  ASSERT_TRUE(WaitUntil([&] { return sub.connected(); }));
  ASSERT_EQ(kill(server.pid(), SIGSTOP), 0);
  EXPECT_TRUE(WaitUntil([&] { return !sub.connected(); }, std::chrono::seconds(10)));
  ASSERT_EQ(kill(server.pid(), SIGCONT), 0);
  EXPECT_TRUE(WaitUntil([&] { return sub.connected(); }));
  sub.Stop();
}

// A Redis restarted empty is refilled partition by partition: meanwhile it holds a lower sum
// than before. Get never answers a seq lower than one it answered.
TEST(RedisReadModelTest, GetNeverGoesBackWhileRedisIsRefilled) {
  RedisTestServer server;
  ASSERT_TRUE(server.running());
  auto url = ParseRedisUrl(server.url());
  ManualClock clock;
  {
    RedisReadModel processor(*url, clock, FastOptions());
    ASSERT_TRUE(processor.Apply(Update(0, 3, "e1", {{"a", 3}})).ok());
    ASSERT_TRUE(processor.Apply(Update(1, 2, "e1", {{"b", 2}})).ok());
    ASSERT_TRUE(WaitUntil([&] { return Delivered(processor); }));
  }  // gone: nothing refills behind the test's back
  RedisReadModel reader(*url, clock, FastOptions());
  auto t = reader.Get("e1");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->seq, 5u);
  auto conn = RedisConnection::Open(*url, {});
  ASSERT_TRUE(conn.ok());
  ASSERT_TRUE((*conn)->Command({"FLUSHALL"}).ok());
  bool from_redis = false;
  t = reader.Get("e1", &from_redis);
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(from_redis);
  EXPECT_EQ(t->seq, 5u);  // Redis says 0
  EXPECT_EQ(t->votes, (OptionCounts{{"a", 3}, {"b", 2}}));
  EXPECT_TRUE(t->stale);
  RedisReadModel refill(*url, clock, FastOptions());
  ASSERT_TRUE(refill.Apply(Update(0, 4, "e1", {{"a", 4}})).ok());  // partition 1 not yet back
  ASSERT_TRUE(WaitUntil([&] { return Delivered(refill); }));
  t = reader.Get("e1");  // Redis says 4: partition 0 is newer, partition 1 as last seen
  EXPECT_EQ(t->seq, 6u);
  EXPECT_EQ(t->votes, (OptionCounts{{"a", 4}, {"b", 2}}));
  EXPECT_TRUE(t->stale);
  ASSERT_TRUE(refill.Apply(Update(1, 2, "e1", {{"b", 2}})).ok());
  ASSERT_TRUE(WaitUntil([&] { return Delivered(refill); }));
  t = reader.Get("e1");
  EXPECT_EQ(t->seq, 6u);
  EXPECT_EQ(t->votes, (OptionCounts{{"a", 4}, {"b", 2}}));
  EXPECT_FALSE(t->stale);
}

// What the publisher keeps is bounded: a partition given up is forgotten, and past max_entries
// delivered pairs make room and undelivered ones are never dropped for a new one.
TEST(RedisReadModelTest, PublisherMemoryIsBounded) {
  auto url = ParseRedisUrl("redis://127.0.0.1:1/0");  // nothing listens: nothing is delivered
  ManualClock clock;
  auto options = FastOptions();
  options.publisher.max_entries = 3;
  RedisReadModel rm(*url, clock, options);
  PartitionTally two = Update(0, 5, "e1", {{"a", 1}});
  two.elections["e2"] = {{"a", 2}};
  ASSERT_TRUE(rm.Apply(two).ok());
  ASSERT_TRUE(rm.Apply(Update(1, 3, "e1", {{"a", 1}})).ok());
  EXPECT_EQ(rm.publisher_stats().entries, 3u);
  auto full = rm.Apply(Update(2, 3, "e1", {{"a", 1}}));
  EXPECT_EQ(full.code(), Code::kUnavailable);  // all three undelivered: the new pair is dropped
  EXPECT_EQ(rm.publisher_stats().dropped, 1u);
  EXPECT_EQ(rm.publisher_stats().entries, 3u);
  ASSERT_TRUE(rm.Apply(Update(1, 4, "e1", {{"a", 2}})).ok());  // a kept pair still updates
  rm.ForgetPartition(0);
  EXPECT_EQ(rm.publisher_stats().entries, 1u);
  EXPECT_EQ(rm.publisher_stats().pending, 1u);
  ASSERT_TRUE(rm.Apply(Update(2, 3, "e1", {{"a", 1}})).ok());
  EXPECT_EQ(rm.publisher_stats().entries, 2u);
}

// Delivered pairs are evicted (oldest change first) to make room, against a real Redis.
TEST(RedisReadModelTest, PublisherEvictsDeliveredPairsWhenFull) {
  RedisTestServer server;
  ASSERT_TRUE(server.running());
  auto url = ParseRedisUrl(server.url());
  ManualClock clock;
  auto options = FastOptions();
  options.publisher.max_entries = 2;
  RedisReadModel rm(*url, clock, options);
  ASSERT_TRUE(rm.Apply(Update(0, 1, "e1", {{"a", 1}})).ok());
  ASSERT_TRUE(rm.Apply(Update(1, 1, "e1", {{"a", 1}})).ok());
  ASSERT_TRUE(WaitUntil([&] { return Delivered(rm); }));
  ASSERT_TRUE(rm.Apply(Update(2, 1, "e1", {{"a", 1}})).ok());
  EXPECT_EQ(rm.publisher_stats().entries, 2u);
  EXPECT_EQ(rm.publisher_stats().dropped, 0u);
  ASSERT_TRUE(WaitUntil([&] { return Delivered(rm); }));
  EXPECT_EQ(FreshGet(*url, "e1")->votes, (OptionCounts{{"a", 3}}));
}

}  // namespace
}  // namespace urna::redis
