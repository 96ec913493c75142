// A fenced close that waits for a silent ingest node (finding S3 of stop 10: up to the lease
// TTL, 8 s, or the close timeout, 30 s) holds only its own election: another election's open, by
// hand or scheduled, goes ahead on the same node meanwhile. Node "b" below registers a lease and
// then stays silent (its lease thread never runs) until the test lets it acknowledge; node "a"'s
// lease TTL is long, so a's close cannot expire b's lease and stays in progress until then.
#include <algorithm>
#include <atomic>
#include <optional>
#include <thread>
#include <tuple>
#include <vector>

#include "lifecycle/election_locks.h"
#include "lifecycle/fence_test_fixture.h"
#include "lifecycle/scheduler.h"

namespace urna::fence_test {
namespace {

class ScheduleClock : public Clock {
 public:
  int64_t NowMs() const override { return now; }
  std::atomic<int64_t> now{0};
};

// Node a's options: a close waits for a silent node far longer than any test runs.
FenceOptions PatientCloser() {
  FenceOptions o = Quick();
  o.lease_ttl = 600s;
  o.close_timeout = 600s;
  return o;
}

class PerElectionTest : public FencedLifecycleTest {
 protected:
  void SetUp() override {
    FencedLifecycleTest::SetUp();
    ASSERT_TRUE(catalog.Create({"f", "F", {{"a", "A"}}, ElectionStatus::kDraft, 0, 0, 0}).ok());
    a.fence.Start();
    ASSERT_TRUE(b.fence.Tick().ok());  // b registers, then says nothing
    ASSERT_TRUE(WaitFor([&] { return a.fence.HasLease(); }));
  }
  void TearDown() override {
    a.fence.Stop();
    b.fence.Stop();
  }
  bool MarkedClosing(std::string_view id) {
    auto marks = store.Closing();
    return marks.ok() && std::find(marks->begin(), marks->end(), id) != marks->end();
  }
  // Lets b acknowledge (its rounds read the mark and answer it) until `done`.
  bool ReleaseUntil(const std::atomic<bool>& done) {
    return WaitFor([&] {
      (void)b.fence.Tick();
      return done.load();
    });
  }

  Node a{catalog, log, store, clock, steady, "a", PatientCloser()};
  Node b{catalog, log, store, clock, steady, "b"};
};

// The lock itself: one election's holders exclude each other, other elections' do not.
TEST(ElectionLocksTest, OneElectionAtATimeOthersInParallel) {
  ElectionLocks locks;
  std::atomic<int> inside{0};
  std::atomic<bool> overlap{false};
  std::vector<std::thread> same;
  for (int i = 0; i < 4; ++i) {
    same.emplace_back([&] {
      for (int k = 0; k < 200; ++k) {
        ElectionLocks::Held held(locks, "e");
        if (inside.fetch_add(1) != 0) overlap = true;
        std::this_thread::yield();
        inside.fetch_sub(1);
      }
    });
  }
  for (auto& t : same) t.join();
  EXPECT_FALSE(overlap.load()) << "two holders of e at once";
  // Held on "e" here, "f" is taken on another thread at once (it would wait forever otherwise).
  std::optional<ElectionLocks::Held> e(std::in_place, locks, "e");
  std::atomic<bool> got_f{false};
  std::thread other([&] {
    ElectionLocks::Held f(locks, "f");
    got_f = true;
  });
  const bool got = WaitFor([&] { return got_f.load(); });
  EXPECT_TRUE(got) << "f waited for e's holder";
  if (!got) e.reset();  // let f through: the test fails instead of hanging on the join
  other.join();
  if (got) EXPECT_EQ(locks.size(), 1u);  // f's entry went with its holder
}

TEST_F(PerElectionTest, AnOpenGoesAheadWhileAnotherElectionsCloseWaitsForANode) {
  ASSERT_TRUE(a.fence.Open("e").ok());
  std::atomic<bool> closed{false};
  std::thread closer([&] {
    EXPECT_TRUE(a.fence.Close("e").ok());
    closed = true;
  });
  ASSERT_TRUE(WaitFor([&] { return MarkedClosing("e"); }));  // the close is under way
  std::atomic<bool> opened{false};
  std::thread opener([&] {
    EXPECT_TRUE(a.fence.Open("f").ok());
    opened = true;
  });
  // Before: the open waited for the node's one transitions lock, i.e. for b.
  EXPECT_TRUE(WaitFor([&] { return opened.load(); }, 20s)) << "the open of f waited for e's close";
  EXPECT_FALSE(closed.load()) << "e's close completed without b";
  EXPECT_EQ(StatusOf("f"), ElectionStatus::kOpen);
  EXPECT_TRUE(ReleaseUntil(closed));
  closer.join();
  opener.join();
  EXPECT_EQ(StatusOf("e"), ElectionStatus::kClosed);
  EXPECT_EQ(SealCount(log), 3u);
}

TEST_F(PerElectionTest, AScheduledOpenGoesAheadWhileAScheduledCloseWaitsForANode) {
  // The times ahead of the lifecycles' (real) clock, as in scheduler_fenced_test.cc; the
  // scheduler's clock is the test's. e's close is due first: the scheduler used to run it on its
  // one thread and open f only once it returned.
  const int64_t base = wall.NowMs() + 60'000;
  ASSERT_TRUE(a.fence.Open("e").ok());
  for (auto [id, opens_at, closes_at] :
       {std::tuple{"e", int64_t{0}, base - 1000}, std::tuple{"f", base, base + 3'600'000}}) {
    Election x = **catalog.Get(id);
    x.opens_at_ms = opens_at;
    x.closes_at_ms = closes_at;
    ASSERT_TRUE(catalog.Update(x).ok());
  }
  ScheduleClock when;
  when.now = base;
  ElectionScheduler scheduler(catalog, a.fence, when);
  scheduler.Start();
  ASSERT_TRUE(WaitFor([&] { return MarkedClosing("e"); }));
  EXPECT_TRUE(WaitFor([&] { return StatusOf("f") == ElectionStatus::kOpen; }, 20s))
      << "the scheduled open of f waited for e's close";
  EXPECT_EQ(StatusOf("e"), ElectionStatus::kOpen) << "e's close completed without b";
  std::atomic<bool> closed{false};
  std::thread watch([&] {
    WaitFor([&] { return StatusOf("e") == ElectionStatus::kClosed && SealCount(log) == 3; });
    closed = true;
  });
  EXPECT_TRUE(ReleaseUntil(closed));
  watch.join();
  scheduler.Stop();
  EXPECT_EQ(StatusOf("e"), ElectionStatus::kClosed);
  EXPECT_EQ(scheduler.stats().opened, 1u);
  EXPECT_EQ(scheduler.stats().closed, 1u);
  EXPECT_EQ(scheduler.stats().failures, 0u);
}

}  // namespace
}  // namespace urna::fence_test
