// Redis going away under the read model (docs/architecture.md §1, G6), against a real
// redis-server killed with SIGKILL and restarted empty, or flushed: Apply never waits for it,
// and the state and the subscription come back by themselves.
#include <gtest/gtest.h>
#include <signal.h>

#include <map>

#include "adapters/redis/change_subscriber.h"
#include "adapters/redis/redis_connection.h"
#include "adapters/redis/redis_read_model.h"
#include "adapters/redis/redis_test_server.h"
#include "adapters/redis/redis_test_util.h"

namespace urna::redis {
namespace {

using testing::FastOptions;
using testing::FreshGet;
using testing::ManualClock;
using testing::Update;
using testing::WaitUntil;

constexpr uint32_t kPartitions = 4;

// What a set of processors publishes: per partition, absolute counts that grow with the offset.
struct Writer {
  std::map<uint32_t, uint64_t> offset;
  std::map<uint32_t, OptionCounts> counts;
  // One more batch in partition p: `n` votes for option `a`, one for `b`.
  PartitionTally Next(uint32_t p, uint64_t n) {
    offset[p] += n + 1;
    counts[p]["a"] += n;
    counts[p]["b"] += 1;
    return Update(p, offset[p], "e1", counts[p]);
  }
  ElectionTally Expected() const {
    ElectionTally t;
    for (const auto& [p, o] : offset) t.seq += o;
    for (const auto& [p, c] : counts) {
      for (const auto& [option, n] : c) t.votes[option] += n;
    }
    return t;
  }
};

bool Holds(const RedisUrl& url, const ElectionTally& want) {
  auto got = FreshGet(url, "e1");
  return got.ok() && got->seq == want.seq && got->votes == want.votes;
}

// Each test's own redis-server, and a read model publishing to it what `w_` writes.
class RedisOutageTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.running()); }

  RedisTestServer server_;
  RedisUrl url_ = *ParseRedisUrl(server_.url());
  ManualClock clock_;
  RedisReadModel rm_{url_, clock_, FastOptions()};
  Writer w_;
};

TEST_F(RedisOutageTest, KillNineAndRestartEmpty) {
  std::atomic<int> changes{0};
  SubscriberOptions so;
  so.backoff_min = std::chrono::milliseconds(10);
  so.backoff_max = std::chrono::milliseconds(200);
  ChangeSubscriber sub(
      url_, so, [&](std::string_view) { ++changes; }, [] {});
  sub.Start();
  ASSERT_TRUE(WaitUntil([&] { return sub.connected(); }));

  for (uint32_t p = 0; p < kPartitions; ++p) ASSERT_TRUE(rm_.Apply(w_.Next(p, 5)).ok());
  ASSERT_TRUE(WaitUntil([&] { return Holds(url_, w_.Expected()); }));
  auto before = rm_.Get("e1");
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(before->seq, w_.Expected().seq);

  server_.Kill9();
  // A reader that never saw the election has nothing to fall back on: a clear kUnavailable.
  auto none = FreshGet(url_, "e1");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), Code::kUnavailable);
  // Processors go on: every Apply returns at once (it only stores the latest in memory), and a
  // result server keeps its last snapshot (Get falls back to it), seq never going back.
  auto slowest = std::chrono::nanoseconds(0);
  uint64_t last_seq = before->seq;
  // The last partition changes no more: only the refill can bring its counts back.
  for (int i = 0; i < 400; ++i) {
    auto start = std::chrono::steady_clock::now();
    ASSERT_TRUE(rm_.Apply(w_.Next(i % (kPartitions - 1), 1 + i % 3)).ok());
    slowest = std::max(slowest, std::chrono::steady_clock::now() - start);
    if (i % 50 == 0) {
      auto t = rm_.Get("e1");
      ASSERT_TRUE(t.ok()) << t.status().message();
      EXPECT_GE(t->seq, last_seq);
      last_seq = t->seq;
    }
  }
  // Generous for a loaded 2-core machine; a network round trip or a connect timeout (500 ms)
  // inside Apply would show.
  EXPECT_LT(slowest, std::chrono::milliseconds(100));
  ASSERT_TRUE(WaitUntil([&] {
    auto s = rm_.publisher_stats();
    return !s.connected && s.pending > 0;
  }));
  ASSERT_TRUE(WaitUntil([&] { return !sub.connected(); }));
  uint64_t subscriptions = sub.subscriptions();

  ASSERT_TRUE(server_.Restart());  // empty: no persistence
  // Nobody re-sends anything: the publisher reconnects and re-sends the latest of every partition.
  ASSERT_TRUE(WaitUntil([&] { return Holds(url_, w_.Expected()); }))
      << "redis holds seq " << FreshGet(url_, "e1")->seq << ", want " << w_.Expected().seq;
  auto after = rm_.Get("e1");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->seq, w_.Expected().seq);
  EXPECT_EQ(after->votes, w_.Expected().votes);
  // The subscriber came back by itself and hears new changes.
  ASSERT_TRUE(WaitUntil([&] { return sub.connected() && sub.subscriptions() > subscriptions; }));
  int heard = changes.load();
  ASSERT_TRUE(rm_.Apply(w_.Next(0, 1)).ok());
  ASSERT_TRUE(WaitUntil([&] { return changes.load() > heard; }));
  EXPECT_TRUE(WaitUntil([&] { return Holds(url_, w_.Expected()); }));
}

// FLUSHALL with the connection kept (or a failover to an empty replica behind a proxy): the
// publisher's marker key is gone, so it re-sends everything without any new Apply.
TEST_F(RedisOutageTest, FlushedRedisIsRefilled) {
  for (uint32_t p = 0; p < kPartitions; ++p) ASSERT_TRUE(rm_.Apply(w_.Next(p, 3)).ok());
  ASSERT_TRUE(WaitUntil([&] { return Holds(url_, w_.Expected()); }));
  uint64_t connects = rm_.publisher_stats().connects;
  auto conn = RedisConnection::Open(url_, {});
  ASSERT_TRUE(conn.ok());
  ASSERT_TRUE((*conn)->Command({"FLUSHALL"}).ok());
  ASSERT_TRUE((*conn)->Command({"SCRIPT", "FLUSH"}).ok());  // and the scripts: NOSCRIPT reloads
  EXPECT_EQ(FreshGet(url_, "e1")->seq, 0u);
  ASSERT_TRUE(WaitUntil([&] { return Holds(url_, w_.Expected()); }));
  EXPECT_EQ(rm_.publisher_stats().connects, connects);  // refilled on the same connection
  // And the read script reloads itself too.
  ASSERT_TRUE((*conn)->Command({"SCRIPT", "FLUSH"}).ok());
  ASSERT_TRUE(rm_.Apply(w_.Next(1, 2)).ok());
  ASSERT_TRUE(WaitUntil([&] { return rm_.publisher_stats().pending == 0; }));
  EXPECT_TRUE(WaitUntil([&] {
    auto t = rm_.Get("e1");
    return t.ok() && t->seq == w_.Expected().seq;
  }));
}

// A Redis that hangs (SIGSTOP: the connection stays open, nothing answers) does not hold
// processors either; once it wakes, the publisher catches up.
TEST_F(RedisOutageTest, HungRedisDoesNotBlockApply) {
  ASSERT_TRUE(rm_.Apply(w_.Next(0, 1)).ok());
  ASSERT_TRUE(WaitUntil([&] { return Holds(url_, w_.Expected()); }));
  ASSERT_EQ(kill(server_.pid(), SIGSTOP), 0);
  // Applies spread over 300 ms, while the publisher waits on the frozen Redis (1 s I/O timeout).
  auto slowest = std::chrono::nanoseconds(0);
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
  int applies = 0;
  for (; applies < 1000 && std::chrono::steady_clock::now() < end; ++applies) {
    auto start = std::chrono::steady_clock::now();
    ASSERT_TRUE(rm_.Apply(w_.Next(applies % kPartitions, 1)).ok());
    slowest = std::max(slowest, std::chrono::steady_clock::now() - start);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_GT(applies, 10);
  EXPECT_LT(slowest, std::chrono::milliseconds(100));
  ASSERT_EQ(kill(server_.pid(), SIGCONT), 0);
  EXPECT_TRUE(WaitUntil([&] { return Holds(url_, w_.Expected()); }));
}

// A Redis that answers but refuses writes (maxmemory reached with noeviction; a primary turned
// replica answers READONLY the same way) is retried at the backoff's pace, never in a loop, and
// gets the update once it takes writes again.
TEST_F(RedisOutageTest, RefusedWritesAreRetriedWithBackoff) {
  auto admin = RedisConnection::Open(url_, {});  // rm_ retries after 10 ms .. 200 ms
  ASSERT_TRUE(admin.ok());
  ASSERT_TRUE(rm_.Apply(w_.Next(0, 1)).ok());
  ASSERT_TRUE(WaitUntil([&] { return Holds(url_, w_.Expected()); }));
  ASSERT_TRUE((*admin)->Command({"CONFIG", "SET", "maxmemory-policy", "noeviction"}).ok());
  ASSERT_TRUE((*admin)->Command({"CONFIG", "SET", "maxmemory", "1"}).ok());
  ASSERT_TRUE(rm_.Apply(w_.Next(1, 2)).ok());
  ASSERT_TRUE(WaitUntil([&] { return rm_.publisher_stats().refusals >= 5; }));
  auto start = std::chrono::steady_clock::now();
  uint64_t at_start = rm_.publisher_stats().refusals;
  std::this_thread::sleep_for(std::chrono::seconds(1));  // a window to count retries in
  auto elapsed = std::chrono::steady_clock::now() - start;
  // At most one retry per 100 ms (the delays have reached 100..200 ms), however slow the machine.
  uint64_t allowed =
      2 + std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() / 100;
  EXPECT_LE(rm_.publisher_stats().refusals - at_start, allowed);
  EXPECT_GT(rm_.publisher_stats().pending, 0u);
  ASSERT_TRUE((*admin)->Command({"CONFIG", "SET", "maxmemory", "0"}).ok());
  EXPECT_TRUE(WaitUntil([&] { return Holds(url_, w_.Expected()); }));
}

}  // namespace
}  // namespace urna::redis
