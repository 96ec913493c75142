// DynamoNodeLeases against dynalite (and the fault proxy for lost answers): the lease, mark and
// acknowledgement semantics the fenced close relies on, and two FencedLifecycle nodes closing
// an election through the table, one of them dead.
#include "adapters/dynamodb/dynamo_node_leases.h"

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "adapters/dynamodb/dynalite_test_fixture.h"
#include "adapters/memory/memory_catalog.h"
#include "adapters/memory/memory_vote_log.h"
#include "ingest/ingest_service.h"
#include "lifecycle/fenced_lifecycle.h"

namespace urna::dynamodb {
namespace {

using namespace std::chrono_literals;

class DynamoNodeLeasesTest : public testing::DynaliteTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(DynaliteTest::SetUp());
    client_ = Client(dynalite_->endpoint());
    proxied_ = Client(proxy_->endpoint());
    prefix_ = testing::UniqueName("n") + "-";
    auto made = EnsureTable(*client_, DynamoNodeLeases::Spec(prefix_));
    ASSERT_TRUE(made.ok()) << made.status().message();
    EXPECT_TRUE(*made);
    auto again = EnsureTable(*client_, DynamoNodeLeases::Spec(prefix_));
    ASSERT_TRUE(again.ok());
    EXPECT_FALSE(*again);  // idempotent, as `urna init` needs
  }

  std::unique_ptr<DynamoClient> client_, proxied_;
  std::string prefix_;
  SystemClock wall_;
};

TEST_F(DynamoNodeLeasesTest, ALeaseRenewsOnlyAsStoredAndExpiresOnlyUnchanged) {
  DynamoNodeLeases leases(*client_, prefix_, wall_);
  auto a = leases.Register("a");
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(a->heartbeat, 0u);
  auto renewed = leases.Renew(*a);
  ASSERT_TRUE(renewed.ok()) << renewed.status().message();
  EXPECT_EQ(renewed->heartbeat, 1u);
  // The same renewal again is taken for a retry whose first answer was lost: its own write.
  EXPECT_EQ(leases.Renew(*a)->heartbeat, 1u);
  auto twice = leases.Renew(*renewed);
  ASSERT_TRUE(twice.ok());
  EXPECT_EQ(leases.Renew(*a).status().code(), Code::kConflict);  // a stale view
  renewed = twice;
  auto listed = leases.Leases();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0], *renewed);
  // A closer that saw heartbeat 0 cannot expire a lease renewed since.
  EXPECT_EQ(leases.Expire(*a).code(), Code::kConflict);
  ASSERT_TRUE(leases.Expire(*renewed).ok());
  EXPECT_TRUE(leases.Expire(*renewed).ok());  // gone already: a retried removal
  EXPECT_TRUE(leases.Leases()->empty());
  EXPECT_EQ(leases.Renew(*renewed).status().code(), Code::kConflict);  // the node must re-register
  auto again = leases.Register("a");
  ASSERT_TRUE(again.ok());
  EXPECT_NE(again->epoch, a->epoch);
}

// A second registration of a node id never replaces the stored lease (another process with the
// same id, or a restart within the TTL, must expire it first): kConflict, and the first lives.
TEST_F(DynamoNodeLeasesTest, ARegistrationNeverReplacesAStoredLease) {
  DynamoNodeLeases leases(*client_, prefix_, wall_);
  auto first = leases.Register("a");
  ASSERT_TRUE(first.ok()) << first.status().message();
  auto second = leases.Register("a");
  EXPECT_EQ(second.status().code(), Code::kConflict) << second.status().message();
  auto listed = leases.Leases();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0], *first);
  auto renewed = leases.Renew(*first);
  ASSERT_TRUE(renewed.ok()) << renewed.status().message();
  ASSERT_TRUE(leases.Expire(*renewed).ok());
  auto third = leases.Register("a");
  ASSERT_TRUE(third.ok()) << third.status().message();
  EXPECT_NE(third->epoch, first->epoch);
}

TEST_F(DynamoNodeLeasesTest, MarksAreKeptOnceAndAcknowledgementsPerNode) {
  DynamoNodeLeases leases(*client_, prefix_, wall_);
  ASSERT_TRUE(leases.MarkClosing("e1").ok());
  ASSERT_TRUE(leases.MarkClosing("e1").ok());
  ASSERT_TRUE(leases.MarkClosing("e2").ok());
  auto closing = leases.Closing();
  ASSERT_TRUE(closing.ok());
  EXPECT_EQ(*closing, (std::vector<std::string>{"e1", "e2"}));
  EXPECT_TRUE(leases.Acks("e1")->empty());
  ASSERT_TRUE(leases.Acknowledge("e1", {"a", "x", 100}).ok());
  ASSERT_TRUE(leases.Acknowledge("e1", {"b", "y", 200}).ok());
  ASSERT_TRUE(leases.Acknowledge("e1", {"a", "z", 300}).ok());  // a, registered anew
  auto acks = leases.Acks("e1");
  ASSERT_TRUE(acks.ok());
  ASSERT_EQ(acks->size(), 2u);
  EXPECT_EQ((*acks)[0].node_id, "a");
  EXPECT_EQ((*acks)[0].epoch, "z");
  EXPECT_EQ((*acks)[0].stopped_at_ms, 300);
  EXPECT_EQ((*acks)[1].node_id, "b");
  EXPECT_TRUE(leases.Acks("e2")->empty());
}

// The answer of an applied conditional write is lost (a 500 after dynalite applied it) and the
// client retries: the retry fails the condition, and the store recognizes its own write.
TEST_F(DynamoNodeLeasesTest, ALostAnswerOfAnAppliedWriteIsSuccess) {
  DynamoNodeLeases leases(*proxied_, prefix_, wall_);
  ASSERT_TRUE(proxy_->Inject("internal", "PutItem", 1, 1, /*after=*/true).ok());
  auto a = leases.Register("a");
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(proxy_->Injected("internal"), 1);
  EXPECT_EQ((*leases.Leases())[0], *a);
  ASSERT_TRUE(proxy_->Inject("internal", "UpdateItem", 1, 1, /*after=*/true).ok());
  auto renewed = leases.Renew(*a);
  ASSERT_TRUE(renewed.ok()) << renewed.status().message();
  EXPECT_EQ(renewed->heartbeat, 1u);
  EXPECT_EQ(proxy_->Injected("internal"), 2);
  ASSERT_TRUE(proxy_->Inject("internal", "DeleteItem", 1, 1, /*after=*/true).ok());
  EXPECT_TRUE(leases.Expire(*renewed).ok());
  ASSERT_TRUE(proxy_->Inject("internal", "PutItem", 1, 1, /*after=*/true).ok());
  EXPECT_TRUE(leases.MarkClosing("e").ok());
  EXPECT_EQ(proxy_->Injected("internal"), 4);
  EXPECT_TRUE(leases.Leases()->empty());
  EXPECT_EQ(leases.Closing()->size(), 1u);
}

TEST_F(DynamoNodeLeasesTest, ThrottlingIsRetriedAndAnUnreachableTableIsUnavailable) {
  DynamoNodeLeases leases(*proxied_, prefix_, wall_);
  ASSERT_TRUE(proxy_->Inject("throttle", "Query", 2).ok());
  EXPECT_TRUE(leases.Leases().ok());
  ASSERT_TRUE(proxy_->Inject("unavailable", "", 10).ok());
  EXPECT_EQ(leases.Register("a").status().code(), Code::kUnavailable);
  DynamoNodeLeases missing(*client_, prefix_ + "no-", wall_);
  EXPECT_EQ(missing.Register("a").status().code(), Code::kNotFound);
}

// Two ingest nodes, each with its own DynamoDB client, fence a close through the table: a vote
// of the live node is ahead of the seal, the dead node's lease is expired after the TTL, and
// both refuse the election afterwards.
TEST_F(DynamoNodeLeasesTest, TwoFencedNodesCloseThroughTheTable) {
  auto client_b = Client(dynalite_->endpoint());
  DynamoNodeLeases leases_a(*client_, prefix_, wall_), leases_b(*client_b, prefix_, wall_);
  memory::MemoryCatalog catalog;
  memory::MemoryLog log{3};
  MonotonicClock clock(wall_);
  SteadyClock steady;
  FenceOptions o;
  o.lease_ttl = 1500ms;
  o.renew_interval = 300ms;
  o.renew_deadline = 900ms;
  o.poll_interval = 50ms;
  FencedLifecycle a(catalog, log, leases_a, clock, steady, "a", o);
  FencedLifecycle b(catalog, log, leases_b, clock, steady, "b", o);
  IngestService ingest_a(catalog, a.vote_log(), clock, "a", a);
  ASSERT_TRUE(catalog.Create({"e", "T", {{"x", "X"}}, ElectionStatus::kDraft, 0, 0, 0}).ok());
  a.Start();
  ASSERT_TRUE(b.Tick().ok());  // b registers, then dies
  ASSERT_TRUE(a.Open("e").ok());
  for (int i = 0; i < 500 && !a.HasLease(); ++i) std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(a.HasLease());
  std::promise<Status> vote;
  ingest_a.CastVote("e", "alice", "x", [&](Result<std::string> r) { vote.set_value(r.status()); });
  ASSERT_TRUE(vote.get_future().get().ok());
  auto closed = a.Close("e");
  ASSERT_TRUE(closed.ok()) << closed.status().message();
  auto entries = *log.Read(PartitionFor("e", "alice", log.partitions()), 0, SIZE_MAX, {});
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].vote.voter_id, "alice");
  EXPECT_TRUE(entries[1].seal.has_value());
  auto listed = leases_a.Leases();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].node_id, "a");
  EXPECT_EQ(a.Enter("e").status().code(), Code::kNotOpen);
  EXPECT_EQ(b.Tick().code(), Code::kConflict);  // b comes back: its lease is gone
  ASSERT_TRUE(b.Tick().ok());
  EXPECT_EQ(b.Enter("e").status().code(), Code::kNotOpen);
  a.Stop();
  b.Stop();
  auto left = leases_a.Leases();
  ASSERT_TRUE(left.ok());
  EXPECT_TRUE(left->empty());
}

}  // namespace
}  // namespace urna::dynamodb
