#include "lifecycle/fenced_lifecycle.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <set>
#include <thread>

#include "lifecycle/fence_test_fixture.h"

namespace urna {
namespace {

using namespace std::chrono_literals;
using namespace fence_test;  // NOLINT: the test helpers

TEST(FenceOptionsTest, TheRenewDeadlineMustFallInsideTheTtl) {
  EXPECT_TRUE(FenceOptions{}.Validate().ok());
  EXPECT_TRUE(Quick().Validate().ok());
  FenceOptions o;
  o.renew_deadline = o.lease_ttl;  // a node could admit while others think it dead
  EXPECT_EQ(o.Validate().code(), Code::kInvalidArgument);
  o = FenceOptions{};
  o.renew_interval = o.renew_deadline;  // it would lapse between two renewals
  EXPECT_EQ(o.Validate().code(), Code::kInvalidArgument);
  o = FenceOptions{};
  o.poll_interval = 0ms;
  EXPECT_EQ(o.Validate().code(), Code::kInvalidArgument);
}

TEST_F(FencedLifecycleTest, ANodeAdmitsOnlyWithALease) {
  FakeClock steady_fake;
  Node a(catalog, log, store, clock, steady_fake, "a");
  ASSERT_TRUE(a.fence.Open("e").ok());
  EXPECT_EQ(Cast(a.ingest, "v1").status().code(), Code::kUnavailable);  // not registered yet
  ASSERT_TRUE(a.fence.Tick().ok());
  EXPECT_TRUE(a.fence.HasLease());
  EXPECT_TRUE(Cast(a.ingest, "v2").ok());
  steady_fake.now += Quick().renew_deadline.count() - 1;
  EXPECT_TRUE(a.fence.HasLease());
  steady_fake.now += 1;  // renew_deadline after the renewal began, with no renewal since
  EXPECT_FALSE(a.fence.HasLease());
  EXPECT_EQ(Cast(a.ingest, "v3").status().code(), Code::kUnavailable);
  ASSERT_TRUE(a.fence.Tick().ok());  // renews: admits again by itself
  EXPECT_TRUE(Cast(a.ingest, "v4").ok());
}

TEST_F(FencedLifecycleTest, AnUnreachableStoreGivesUnavailableAndRecoversByItself) {
  CutLeases link(store);
  Node a(catalog, log, link, clock, steady, "a");
  a.fence.Start();
  ASSERT_TRUE(a.fence.Open("e").ok());
  ASSERT_TRUE(WaitFor([&] { return a.fence.HasLease(); }));
  EXPECT_TRUE(Cast(a.ingest, "v1").ok());
  link.cut = true;
  ASSERT_TRUE(WaitFor([&] { return !a.fence.HasLease(); }));
  EXPECT_EQ(Cast(a.ingest, "v2").status().code(), Code::kUnavailable);
  EXPECT_EQ(a.fence.LastError().message(), "cut off from the lease store");
  link.cut = false;
  ASSERT_TRUE(WaitFor([&] { return a.fence.HasLease() && a.fence.LastError().ok(); }));
  EXPECT_TRUE(Cast(a.ingest, "v3").ok());
}

TEST_F(FencedLifecycleTest, CloseOfADraftOrUnknownElectionChangesNothing) {
  Node a(catalog, log, store, clock, steady, "a");
  EXPECT_EQ(a.fence.Close("e").status().code(), Code::kConflict);
  EXPECT_EQ(a.fence.Close("nope").status().code(), Code::kNotFound);
  EXPECT_TRUE(store.Closing()->empty());
  EXPECT_EQ(SealCount(log), 0u);
}

// Two live nodes: the close is answered once both acknowledged; closed_at is at or after both
// nodes' clocks (node b's runs 5 s ahead), and both refuse the election's votes afterwards.
TEST_F(FencedLifecycleTest, CloseWaitsForEveryLiveNodeThenSeals) {
  OffsetClock ahead(wall, 5000);
  MonotonicClock clock_b(ahead);
  Node a(catalog, log, store, clock, steady, "a");
  Node b(catalog, log, store, clock_b, steady, "b");
  a.fence.Start();
  b.fence.Start();
  ASSERT_TRUE(a.fence.Open("e").ok());
  ASSERT_TRUE(WaitFor([&] { return a.fence.HasLease() && b.fence.HasLease(); }));
  auto counted = Cast(b.ingest, "bob");
  ASSERT_TRUE(counted.ok());
  auto closed = a.fence.Close("e");
  ASSERT_TRUE(closed.ok()) << closed.status().message();
  EXPECT_EQ(StatusOf("e"), ElectionStatus::kClosed);
  EXPECT_GE(closed->closed_at_ms, clock_b.NowMs() - 1000);  // b's clock, not a's
  auto acks = *store.Acks("e");
  EXPECT_EQ(acks.size(), 2u);
  EXPECT_EQ(SealCount(log), log.partitions());
  EXPECT_EQ(Cast(a.ingest, "carol").status().code(), Code::kNotOpen);
  EXPECT_EQ(Cast(b.ingest, "dave").status().code(), Code::kNotOpen);
  // Closing again seals again (completes a close cut short) and keeps closed_at.
  auto again = a.fence.Close("e");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->closed_at_ms, closed->closed_at_ms);
  EXPECT_EQ(SealCount(log), 2 * log.partitions());
}

// A node with an append in flight (its producer has not had the delivery report) does not
// acknowledge until it completes, so its vote is ahead of the seal; meanwhile it refuses the
// election's new votes.
TEST_F(FencedLifecycleTest, ANodeAcknowledgesOnlyOnceItsAppendsInFlightAreDone) {
  HoldVotesLog log_b(log);
  Node a(catalog, log, store, clock, steady, "a");
  Node b(catalog, log_b, store, clock, steady, "b");
  a.fence.Start();
  b.fence.Start();
  ASSERT_TRUE(a.fence.Open("e").ok());
  ASSERT_TRUE(WaitFor([&] { return a.fence.HasLease() && b.fence.HasLease(); }));
  log_b.Hold();
  std::promise<Status> answer;
  b.ingest.CastVote("e", "bob", "a", [&](Result<std::string> r) { answer.set_value(r.status()); });
  ASSERT_EQ(log_b.held(), 1u);
  auto close = std::async(std::launch::async, [&] { return a.fence.Close("e"); });
  // b has stopped admitting (it read the mark) but cannot acknowledge yet.
  // (Enter, not a vote: a vote admitted before the mark would wait in the held log.)
  ASSERT_TRUE(WaitFor([&] { return b.fence.Enter("e").status().code() == Code::kNotOpen; }));
  EXPECT_EQ(close.wait_for(300ms), std::future_status::timeout);
  EXPECT_EQ(SealCount(log), 0u);
  log_b.Release();
  EXPECT_TRUE(answer.get_future().get().ok());
  ASSERT_TRUE(close.get().ok());
  auto entries = *log.Read(PartitionFor("e", "bob", log.partitions()), 0, SIZE_MAX, {});
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].vote.voter_id, "bob");
  EXPECT_TRUE(entries[1].seal.has_value());
}

// A node that died (it stops renewing) holds a close back for the TTL only; when it comes back
// its lease is gone, it registers anew and refuses the closed election.
TEST_F(FencedLifecycleTest, ADeadNodeDoesNotBlockACloseForever) {
  Node a(catalog, log, store, clock, steady, "a");
  Node b(catalog, log, store, clock, steady, "b");
  a.fence.Start();
  ASSERT_TRUE(b.fence.Tick().ok());  // b registers, then never runs again
  ASSERT_TRUE(a.fence.Open("e").ok());
  ASSERT_TRUE(WaitFor([&] { return a.fence.HasLease(); }));
  auto started = std::chrono::steady_clock::now();
  auto closed = a.fence.Close("e");
  ASSERT_TRUE(closed.ok()) << closed.status().message();
  auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  EXPECT_GE(waited, Quick().lease_ttl - 1ms);  // it waited the TTL (whole ms on its clock)
  EXPECT_FALSE(Stored("b"));
  EXPECT_TRUE(Stored("a"));
  EXPECT_FALSE(b.fence.HasLease());                   // lapsed on its own clock before a expired it
  EXPECT_EQ(b.fence.Tick().code(), Code::kConflict);  // its renewal finds the lease expired
  ASSERT_TRUE(b.fence.Tick().ok());                   // registers anew, reads the marks
  EXPECT_TRUE(b.fence.HasLease());
  EXPECT_EQ(Cast(b.ingest, "late").status().code(), Code::kNotOpen);
}

// A node paused with a vote in flight (SIGSTOP) whose lease is expired by a close: when it
// resumes and the vote lands behind the seal, the node does not answer 202.
TEST_F(FencedLifecycleTest, AZombiesLateAppendIsNotAcknowledged) {
  HoldVotesLog log_b(log);
  Node a(catalog, log, store, clock, steady, "a");
  Node b(catalog, log_b, store, clock, steady, "b");
  a.fence.Start();
  ASSERT_TRUE(b.fence.Tick().ok());
  ASSERT_TRUE(a.fence.Open("e").ok());
  ASSERT_TRUE(WaitFor([&] { return a.fence.HasLease(); }));
  log_b.Hold();
  std::promise<Status> answer;
  b.ingest.CastVote("e", "bob", "a", [&](Result<std::string> r) { answer.set_value(r.status()); });
  ASSERT_TRUE(a.fence.Close("e").ok());  // b is paused: expired after the TTL
  log_b.Release();                       // b resumes: its vote lands behind the seal
  Status s = answer.get_future().get();
  EXPECT_EQ(s.code(), Code::kUnavailable) << "a vote behind the seal was acknowledged";
  auto entries = *log.Read(PartitionFor("e", "bob", log.partitions()), 0, SIZE_MAX, {});
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_TRUE(entries[0].seal.has_value());
}

// A node cut off from the lease store stops admitting before any other node may expire its
// lease: on one clock both move by, at every step where the lease is gone from the store the
// node already refuses votes.
TEST_F(FencedLifecycleTest, ANodeThatCannotRenewStopsAdmittingBeforeItCanBeExpired) {
  FakeClock steady_fake;
  CutLeases link_b(store);
  FenceOptions o = Quick();
  o.poll_interval = 1ms;
  Node a(catalog, log, store, clock, steady_fake, "a", o);
  Node b(catalog, log, link_b, clock, steady_fake, "b", o);
  ASSERT_TRUE(a.fence.Tick().ok());
  ASSERT_TRUE(b.fence.Tick().ok());
  ASSERT_TRUE(a.fence.Open("e").ok());
  link_b.cut = true;
  auto close = std::async(std::launch::async, [&] { return a.fence.Close("e"); });
  bool b_admitted_at_some_step = false;
  // 3 s on the shared clock: the TTL passes, and the check goes on after the close is done.
  for (int step = 0; step < 600; ++step) {
    ASSERT_TRUE(a.fence.Tick().ok());
    EXPECT_FALSE(b.fence.Tick().ok());
    bool expired = !Stored("b");
    auto ticket = b.fence.Enter("e");
    if (ticket.ok()) b_admitted_at_some_step = true;
    ASSERT_FALSE(expired && ticket.ok()) << "b admitted with its lease expired, step " << step;
    if (ticket.ok()) *ticket = VoteAdmission::Ticket();
    steady_fake.now += 5;
    std::this_thread::sleep_for(2ms);  // lets the close read the store at this time
  }
  ASSERT_EQ(close.wait_for(30s), std::future_status::ready);
  ASSERT_TRUE(close.get().ok());
  EXPECT_TRUE(b_admitted_at_some_step);
  EXPECT_FALSE(Stored("b"));
}

// A node whose catalog does not know the election yet (its cache is behind another node's
// create) still acknowledges the close, which would otherwise wait for it until it timed out.
TEST_F(FencedLifecycleTest, ANodeWhoseCatalogIsBehindStillAcknowledges) {
  memory::MemoryCatalog behind;  // node b's view: no election "e"
  FenceOptions o = Quick();
  o.close_timeout = 5s;
  Node a(catalog, log, store, clock, steady, "a", o);
  Node b(behind, log, store, clock, steady, "b", o);
  a.fence.Start();
  b.fence.Start();
  ASSERT_TRUE(a.fence.Open("e").ok());
  ASSERT_TRUE(WaitFor([&] { return a.fence.HasLease() && b.fence.HasLease(); }));
  auto closed = a.fence.Close("e");
  ASSERT_TRUE(closed.ok()) << closed.status().message();
  EXPECT_EQ(store.Acks("e")->size(), 2u);
}

// A node that joins while a close waits refuses the election from its first round and
// acknowledges; closes on two nodes at once agree on closed_at.
TEST_F(FencedLifecycleTest, ANodeJoiningDuringACloseRefusesAndClosesAgree) {
  HoldVotesLog log_b(log);
  Node a(catalog, log, store, clock, steady, "a");
  Node b(catalog, log_b, store, clock, steady, "b");
  Node c(catalog, log, store, clock, steady, "c");
  a.fence.Start();
  b.fence.Start();
  ASSERT_TRUE(a.fence.Open("e").ok());
  ASSERT_TRUE(WaitFor([&] { return a.fence.HasLease() && b.fence.HasLease(); }));
  log_b.Hold();  // b's vote in flight keeps the close waiting
  std::promise<Status> answer;
  b.ingest.CastVote("e", "bob", "a", [&](Result<std::string> r) { answer.set_value(r.status()); });
  auto close_a = std::async(std::launch::async, [&] { return a.fence.Close("e"); });
  auto close_b = std::async(std::launch::async, [&] { return b.fence.Close("e"); });
  ASSERT_TRUE(WaitFor([&] { return !store.Closing()->empty(); }));
  ASSERT_TRUE(c.fence.Tick().ok());  // c registers: it reads the marks before it admits
  EXPECT_TRUE(c.fence.HasLease());
  EXPECT_EQ(Cast(c.ingest, "carol").status().code(), Code::kNotOpen);
  c.fence.Start();
  log_b.Release();
  EXPECT_TRUE(answer.get_future().get().ok());
  auto ra = close_a.get(), rb = close_b.get();
  ASSERT_TRUE(ra.ok() && rb.ok());
  EXPECT_EQ(ra->closed_at_ms, rb->closed_at_ms);
  EXPECT_EQ(store.Acks("e")->size(), 3u);
}

// A node that stops cleanly releases its lease: a close does not wait for it.
TEST_F(FencedLifecycleTest, StopReleasesTheLease) {
  Node a(catalog, log, store, clock, steady, "a");
  a.fence.Start();
  ASSERT_TRUE(WaitFor([&] { return Stored("a"); }));
  a.fence.Stop();
  EXPECT_FALSE(Stored("a"));
  EXPECT_FALSE(a.fence.HasLease());
  ASSERT_TRUE(a.fence.Open("e").ok());
  EXPECT_EQ(Cast(a.ingest, "v").status().code(), Code::kUnavailable);
}

// A close that cannot complete in time (a node cannot drain) answers kUnavailable; the election
// takes no more votes and is not closed yet; closing again once the node drained completes it.
TEST_F(FencedLifecycleTest, ACloseThatTimesOutIsCompletedByClosingAgain) {
  HoldVotesLog log_b(log);
  FenceOptions o = Quick();
  o.close_timeout = 200ms;
  Node a(catalog, log, store, clock, steady, "a", o);
  Node b(catalog, log_b, store, clock, steady, "b", o);
  a.fence.Start();
  b.fence.Start();
  ASSERT_TRUE(a.fence.Open("e").ok());
  ASSERT_TRUE(WaitFor([&] { return a.fence.HasLease() && b.fence.HasLease(); }));
  log_b.Hold();
  std::promise<Status> answer;
  b.ingest.CastVote("e", "bob", "a", [&](Result<std::string> r) { answer.set_value(r.status()); });
  auto failed = a.fence.Close("e");
  EXPECT_EQ(failed.status().code(), Code::kUnavailable);
  EXPECT_NE(failed.status().message().find("b"), std::string::npos) << failed.status().message();
  EXPECT_EQ(StatusOf("e"), ElectionStatus::kOpen);
  EXPECT_EQ(SealCount(log), 0u);
  EXPECT_EQ(Cast(a.ingest, "carol").status().code(), Code::kNotOpen);
  log_b.Release();
  EXPECT_TRUE(answer.get_future().get().ok());
  auto closed = a.fence.Close("e");
  ASSERT_TRUE(closed.ok()) << closed.status().message();
  EXPECT_EQ(StatusOf("e"), ElectionStatus::kClosed);
  EXPECT_EQ(SealCount(log), log.partitions());
}

// A close whose closing mark cannot be written changes nothing: the election stays open.
TEST_F(FencedLifecycleTest, ACloseThatCannotMarkChangesNothing) {
  Node a(catalog, log, store, clock, steady, "a");
  a.fence.Start();
  ASSERT_TRUE(a.fence.Open("e").ok());
  ASSERT_TRUE(WaitFor([&] { return a.fence.HasLease(); }));
  store.fail_all = true;
  EXPECT_EQ(a.fence.Close("e").status().code(), Code::kUnavailable);
  store.fail_all = false;
  EXPECT_EQ(StatusOf("e"), ElectionStatus::kOpen);
  EXPECT_EQ(SealCount(log), 0u);
  ASSERT_TRUE(WaitFor([&] { return a.fence.HasLease(); }));
  EXPECT_TRUE(Cast(a.ingest, "v").ok());
}

// Votes race the close on two nodes whose producers have appends in flight, node b's clock 5 s
// ahead of a's: every vote answered ok is ahead of the seal in its partition with cast_at <=
// closed_at, every log entry ahead of a seal was answered ok, and every vote cast after the
// close returned is refused kNotOpen.
TEST(FencedLifecycleRaceTest, NoAcceptedVoteIsBehindTheSealOnAnyNode) {
  for (int round = 0; round < 4; ++round) {
    memory::MemoryCatalog catalog;
    memory::MemoryLog log{4};
    memory::MemoryNodeLeases store;
    SystemClock wall;
    OffsetClock ahead(wall, 5000);
    MonotonicClock clock_a(wall), clock_b(ahead);
    SteadyClock steady;
    FenceOptions o;  // the defaults: nothing lapses on a busy 2-core machine
    o.poll_interval = 5ms;
    AsyncLog producer_a(log), producer_b(log);
    ASSERT_TRUE(catalog.Create({"e", "T", {{"a", "A"}}, ElectionStatus::kDraft, 0, 0, 0}).ok());
    {
      Node a(catalog, producer_a, store, clock_a, steady, "a", o);
      Node b(catalog, producer_b, store, clock_b, steady, "b", o);
      a.fence.Start();
      b.fence.Start();
      ASSERT_TRUE(WaitFor([&] { return a.fence.HasLease() && b.fence.HasLease(); }));
      ASSERT_TRUE(a.fence.Open("e").ok());

      std::mutex mu;
      std::map<std::string, int64_t> accepted;  // vote_id -> nothing yet (cast_at from the log)
      std::vector<std::string> errors;
      std::atomic<int> accepted_count{0}, refused_after{0};
      std::atomic<bool> closed{false}, stop{false};
      std::vector<std::thread> voters;
      for (int t = 0; t < 4; ++t) {
        IngestService& ingest = t % 2 == 0 ? a.ingest : b.ingest;
        voters.emplace_back([&, t] {
          for (int i = 0; !stop && i < 1'000'000; ++i) {
            bool after = closed;
            auto r = Cast(ingest, "v" + std::to_string(t) + "-" + std::to_string(i));
            std::lock_guard lock(mu);
            if (r.ok()) {
              accepted[*r] = 0;
              ++accepted_count;
              if (after) errors.push_back("vote accepted after the close returned");
            } else if (r.status().code() == Code::kNotOpen) {
              if (after && ++refused_after > 200) stop = true;
            } else {
              errors.push_back(r.status().message());
            }
          }
        });
      }
      ASSERT_TRUE(WaitFor([&] { return accepted_count > 200; }));
      auto c = a.fence.Close("e");
      closed = true;
      ASSERT_TRUE(WaitFor([&] { return stop.load(); }));
      stop = true;
      for (auto& v : voters) v.join();
      ASSERT_TRUE(c.ok()) << c.status().message();
      EXPECT_TRUE(errors.empty()) << errors.size() << " errors, first: " << errors.front();

      size_t ahead_of_seal = 0;
      for (uint32_t p = 0; p < log.partitions(); ++p) {
        bool sealed = false;
        auto entries = log.Read(p, 0, SIZE_MAX, {});
        for (const auto& entry : *entries) {
          if (entry.seal) {
            sealed = true;
            continue;
          }
          EXPECT_FALSE(sealed) << "vote " << entry.vote.vote_id << " of node "
                               << entry.vote.ingest_node << " behind the seal";
          EXPECT_TRUE(accepted.contains(entry.vote.vote_id));
          EXPECT_LE(entry.vote.ingest_time_ms, c->closed_at_ms) << entry.vote.ingest_node;
          ++ahead_of_seal;
        }
        EXPECT_TRUE(sealed);
      }
      EXPECT_EQ(ahead_of_seal, accepted.size());
    }
  }
}

}  // namespace
}  // namespace urna
