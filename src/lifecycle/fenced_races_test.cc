// FencedLifecycle against the races a reviewer found: a vote admitted under a lease that is lost
// before its append, two processes with one node id, and a catalog write based on a stale read.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

#include "core/uuid7.h"
#include "lifecycle/fence_test_fixture.h"
#include "lifecycle/fenced_lifecycle.h"

namespace urna {
namespace {

using namespace std::chrono_literals;
using namespace fence_test;  // NOLINT: the test helpers

class FencedRacesTest : public FencedLifecycleTest {};

// A vote passes node b's door under its lease and stalls before its append. b's next renewal
// is stuck longer than the TTL, so a close expires b's lease and seals; the renewal then finds
// the lease gone. b registers anew, but that round fails (the marks cannot be read); the
// stalled vote appends now, and b's next round renews. The vote lands behind the seal: it must
// not be answered ok.
TEST_F(FencedRacesTest, AVoteAdmittedUnderALostLeaseIsNotAcknowledged) {
  FakeClock steady_fake;
  CutLeases link_b(store);
  HoldVotesLog log_b(log);
  FenceOptions o = Quick();
  o.poll_interval = 1ms;
  Node a(catalog, log, store, clock, steady_fake, "a", o);
  Node b(catalog, log_b, link_b, clock, steady_fake, "b", o);
  ASSERT_TRUE(a.fence.Tick().ok());
  ASSERT_TRUE(b.fence.Tick().ok());
  ASSERT_TRUE(a.fence.Open("e").ok());
  auto ticket = b.fence.Enter("e");  // admitted under b's first lease
  ASSERT_TRUE(ticket.ok());

  steady_fake.now += o.renew_interval.count();
  link_b.hold_renew = true;
  auto stuck = std::async(std::launch::async, [&] { return b.fence.Tick(); });
  ASSERT_TRUE(WaitFor([&] { return link_b.renew_waiting.load(); }));  // read no marks yet
  auto close = std::async(std::launch::async, [&] { return a.fence.Close("e"); });
  for (int step = 0; step < 4000 && close.wait_for(0ms) != std::future_status::ready; ++step) {
    ASSERT_TRUE(a.fence.Tick().ok());
    steady_fake.now += 5;
    std::this_thread::sleep_for(1ms);  // lets the close read the store at this time
  }
  ASSERT_EQ(close.wait_for(30s), std::future_status::ready);
  auto closed = close.get();
  ASSERT_TRUE(closed.ok()) << closed.status().message();
  EXPECT_FALSE(Stored("b"));  // expired by the close
  EXPECT_EQ(SealCount(log), log.partitions());

  link_b.hold_renew = false;
  EXPECT_EQ(stuck.get().code(), Code::kConflict);  // b's renewal finds its lease gone
  link_b.fail_closing = 1;
  EXPECT_FALSE(b.fence.Tick().ok());  // registers anew, then cannot read the marks
  EXPECT_FALSE(b.fence.HasLease());

  // The stalled vote appends now, before b's next round can take its gate.
  log_b.Hold();
  std::promise<Status> answer;
  int64_t now = clock.NowMs();
  b.fence.vote_log().Append({NewUuid7(now), "e", "a", "bob", now, "b"},
                            [&](Status s) { answer.set_value(s); });
  *ticket = VoteAdmission::Ticket();
  steady_fake.now += o.renew_interval.count();
  ASSERT_TRUE(b.fence.Tick().ok());  // reads the marks and renews: b admits again
  EXPECT_TRUE(b.fence.HasLease());
  log_b.Release();  // the append completes, behind the seal
  Status s = answer.get_future().get();
  EXPECT_EQ(s.code(), Code::kUnavailable) << "a vote behind the seal was acknowledged";
  EXPECT_EQ(Cast(b.ingest, "carol").status().code(), Code::kNotOpen);
}

// Two processes run with one node id (a misconfiguration, or a restart after kill -9 while the
// old lease is stored): the second never replaces the first's live lease, so the two never
// admit at once; once the first is silent for the TTL the second expires its lease and
// registers, and the first, resumed, cannot take the id back.
TEST_F(FencedRacesTest, TwoProcessesWithOneNodeIdNeverAdmitTogether) {
  FakeClock steady_fake;
  Node first(catalog, log, store, clock, steady_fake, "a");
  Node second(catalog, log, store, clock, steady_fake, "a");
  ASSERT_TRUE(first.fence.Tick().ok());
  for (int step = 0; step < 100; ++step) {  // 5 s: longer than the TTL
    (void)first.fence.Tick();
    EXPECT_EQ(second.fence.Tick().code(), Code::kUnavailable);
    ASSERT_TRUE(first.fence.HasLease()) << step;
    ASSERT_FALSE(second.fence.HasLease()) << step;
    steady_fake.now += 50;
  }
  EXPECT_NE(second.fence.LastError().message().find("another"), std::string::npos)
      << second.fence.LastError().message();
  const int64_t died = steady_fake.now;  // the first stops renewing; its lease stays stored
  int64_t registered_at = 0;
  for (int step = 0; step < 200 && !second.fence.HasLease(); ++step) {
    Status s = second.fence.Tick();
    ASSERT_FALSE(first.fence.HasLease() && second.fence.HasLease()) << step;
    if (second.fence.HasLease()) registered_at = steady_fake.now;
    if (!second.fence.HasLease()) EXPECT_EQ(s.code(), Code::kUnavailable);
    steady_fake.now += 50;
  }
  ASSERT_TRUE(second.fence.HasLease());
  // The TTL after the first's last renewal (at most a renew interval before it died).
  EXPECT_GE(registered_at - died, (Quick().lease_ttl - Quick().renew_interval).count());
  EXPECT_EQ(first.fence.Tick().code(), Code::kConflict);     // resumed: its lease was expired
  EXPECT_EQ(first.fence.Tick().code(), Code::kUnavailable);  // and the id is held
  EXPECT_FALSE(first.fence.HasLease());
  EXPECT_TRUE(second.fence.HasLease());
  EXPECT_TRUE(Stored("a"));
}

// Node b's catalog still shows the election open when node a has closed it (b's cache is
// behind): b's close, based on that stale read, must not overwrite a's closed_at (b's clock
// runs ahead), nor seal with another time. Both closes answer the stored closed_at.
TEST_F(FencedRacesTest, ACloseBasedOnAStaleReadAgreesOnTheStoredCloseTime) {
  FakeClock wall_b;  // b's wall clock, 5 s ahead of a's, moved by the test
  wall_b.now = wall.NowMs() + 5000;
  MonotonicClock clock_b(wall_b);
  LaggingCatalog view_b(catalog);
  Node a(catalog, log, store, clock, steady, "a");
  Node b(view_b, log, store, clock_b, steady, "b");
  a.fence.Start();
  b.fence.Start();
  ASSERT_TRUE(a.fence.Open("e").ok());
  ASSERT_TRUE(WaitFor([&] { return a.fence.HasLease() && b.fence.HasLease(); }));
  view_b.Freeze("e");  // b's view: open
  auto first = a.fence.Close("e");
  ASSERT_TRUE(first.ok()) << first.status().message();
  wall_b.now += 1000;  // b closes later by its clock
  auto second = b.fence.Close("e");
  ASSERT_TRUE(second.ok()) << second.status().message();
  EXPECT_EQ(second->closed_at_ms, first->closed_at_ms);
  EXPECT_EQ(StatusOf("e"), ElectionStatus::kClosed);
  EXPECT_EQ((*catalog.Get("e"))->closed_at_ms, first->closed_at_ms);
  size_t seals = 0;
  for (uint32_t p = 0; p < log.partitions(); ++p) {
    auto entries = log.Read(p, 0, SIZE_MAX, {});
    ASSERT_TRUE(entries.ok());
    for (const auto& entry : *entries) {
      if (!entry.seal) continue;
      ++seals;
      EXPECT_EQ(entry.seal->closed_at_ms, first->closed_at_ms);
    }
  }
  EXPECT_EQ(seals, 2 * log.partitions());
  // Finalizes on both nodes, b's based on a read from before a's: b's write conflicts, and it
  // reads again and answers the stored result instead of writing its own.
  view_b.Freeze("e");  // b's view: closed
  auto final_a = a.fence.Finalize("e");
  wall_b.now += 1000;
  ASSERT_TRUE(final_a.ok()) << final_a.status().message();
  auto final_b = b.fence.Finalize("e");
  ASSERT_TRUE(final_b.ok()) << final_b.status().message();
  EXPECT_EQ(final_b->finalized_at_ms, final_a->finalized_at_ms);
  EXPECT_EQ((*catalog.Get("e"))->finalized_at_ms, final_a->finalized_at_ms);
}

}  // namespace
}  // namespace urna
