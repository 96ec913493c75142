// Two ingest nodes' schedulers over their FencedLifecycles (the memory lease store, catalog and
// log of fence_test_fixture.h), both reaching opens_at and closes_at at once, as every
// `urna ingest` node's scheduler does: their concurrent opens and closes are one open and one
// fenced close; both nodes refuse the election's votes afterwards.
#include <atomic>
#include <thread>

#include "lifecycle/fence_test_fixture.h"
#include "lifecycle/scheduler.h"

namespace urna::fence_test {
namespace {

class ScheduleClock : public Clock {
 public:
  int64_t NowMs() const override { return now; }
  std::atomic<int64_t> now{0};
};

class FencedSchedulerTest : public FencedLifecycleTest {};

TEST_F(FencedSchedulerTest, TwoNodesOpenAndCloseAtTheSameTimeAsOne) {
  // The times ahead of the lifecycles' (real) clock: the core rule refuses to open a draft whose
  // closes_at has passed on it. The schedulers' clock is the test's.
  const int64_t base = wall.NowMs() + 60'000;
  Election e = **catalog.Get("e");
  e.opens_at_ms = base;
  e.closes_at_ms = base + 4000;
  e.catalog_version = 0;
  ASSERT_TRUE(catalog.Update(e).ok());
  Node a(catalog, log, store, clock, steady, "a");
  Node b(catalog, log, store, clock, steady, "b");
  a.fence.Start();
  b.fence.Start();
  ASSERT_TRUE(WaitFor([&] { return a.fence.HasLease() && b.fence.HasLease(); }));
  ScheduleClock when;
  ElectionScheduler sa(catalog, a.fence, when), sb(catalog, b.fence, when);
  auto both = [&] {
    std::thread ta([&] { sa.RunDue(); });
    std::thread tb([&] { sb.RunDue(); });
    ta.join();
    tb.join();
  };
  when.now = base - 1;
  both();
  EXPECT_EQ(StatusOf("e"), ElectionStatus::kDraft);
  when.now = base;
  both();
  ASSERT_EQ(StatusOf("e"), ElectionStatus::kOpen);
  EXPECT_TRUE(Cast(a.ingest, "v1").ok());
  EXPECT_TRUE(Cast(b.ingest, "v2").ok());
  when.now = base + 4000;
  both();
  auto closed = *catalog.Get("e");
  EXPECT_EQ(closed->status, ElectionStatus::kClosed);
  // Each node that closed (usually both: a fenced close takes a poll of the marks, so the other
  // node reads the catalog before it completes) succeeded, the one behind re-reading and
  // sealing with the stored closed_at; the seal is in every partition, once or twice (harmless).
  EXPECT_EQ(sa.stats().failures + sb.stats().failures, 0u);
  EXPECT_GE(sa.stats().opened + sb.stats().opened, 1u);
  EXPECT_GE(sa.stats().closed + sb.stats().closed, 1u);
  size_t seals = SealCount(log);
  EXPECT_TRUE(seals == 3u || seals == 6u) << seals;
  for (uint32_t p = 0; p < log.partitions(); ++p) {
    auto entries = log.Read(p, 0, SIZE_MAX, {});
    for (const auto& entry : *entries) {
      if (entry.seal) EXPECT_EQ(entry.seal->closed_at_ms, closed->closed_at_ms);
    }
  }
  EXPECT_EQ(Cast(a.ingest, "v3").status().code(), Code::kNotOpen);
  EXPECT_EQ(Cast(b.ingest, "v4").status().code(), Code::kNotOpen);
  a.fence.Stop();
  b.fence.Stop();
}

}  // namespace
}  // namespace urna::fence_test
