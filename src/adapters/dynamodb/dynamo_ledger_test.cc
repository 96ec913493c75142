// DynamoLedger and CheckpointReadModel against dynalite: receipts of every fate, pending until
// the vote's partition is processed past it and then found or a 404; the ledger scan merged
// from the shards in voter order; results summed over the partitions' checkpoints.
#include "adapters/dynamodb/dynamo_state_test_fixture.h"

namespace urna::dynamodb {
namespace {

using std::chrono::milliseconds;

TEST_F(DynamoStateTest, AVoteFoundNowhereIsPendingUntilItsPartitionIsProcessedPastIt) {
  memory::MemoryLog log{2};
  auto voters = VotersOf(log, 1, 2);
  ASSERT_EQ(voters.size(), 2u);
  std::string cast = NewUuid7(1'700'000'000'000);
  std::string forged = NewUuid7(1'700'000'000'001);  // never cast
  Vote(log, cast, voters[0], "a");
  DynamoLedger ledger = Ledger(&log);
  Receipt r = Find(ledger, voters[0], cast);
  EXPECT_EQ(r.outcome, Outcome::kPending);
  EXPECT_EQ(r.ingest_time_ms, 1'700'000'000'000);
  // While the partition has a vote not processed, nobody can tell a vote id is not in it.
  EXPECT_EQ(Find(ledger, voters[0], forged).outcome, Outcome::kPending);

  DynamoProcessorState st(*client_, tables_);
  PartitionProcessor p(1, log, st, catalog_, rm_);
  ASSERT_TRUE(p.Step(milliseconds(0)).ok());
  EXPECT_EQ(Find(ledger, voters[0], cast).outcome, Outcome::kCounted);
  auto gone = ledger.FindReceipt("e1", voters[0], forged);
  ASSERT_TRUE(gone.ok()) << gone.status().message();
  EXPECT_FALSE(gone->has_value()) << "processed past its end and not found: no such vote";
  EXPECT_FALSE(ledger.FindReceipt("e1", voters[1], cast)->has_value()) << "another voter's id";
  // A fresh id is pending for the grace period even when the partition is processed past it.
  std::string fresh = NewUuid7(SystemClock().NowMs());
  EXPECT_EQ(Find(ledger, voters[0], fresh).outcome, Outcome::kPending);
  DynamoLedger no_grace(
      *client_, tables_, log.partitions(), [&log](uint32_t p) { return log.EndOffset(p); },
      milliseconds(0));
  EXPECT_FALSE(no_grace.FindReceipt("e1", voters[0], fresh)->has_value());
  // A new vote in the partition makes it pending again until processed.
  std::string later = NewUuid7(1'700'000'000'002);
  Vote(log, later, voters[1], "b");
  EXPECT_EQ(Find(ledger, voters[1], later).outcome, Outcome::kPending);
  ASSERT_TRUE(p.Step(milliseconds(0)).ok());
  EXPECT_EQ(Find(ledger, voters[1], later).outcome, Outcome::kCounted);
}

TEST_F(DynamoStateTest, ScanCountedMergesTheShardsInVoterOrder) {
  DynamoProcessorState st(*client_, tables_);
  ASSERT_TRUE(st.Load(0).ok());
  std::vector<ProcessedVote> votes;
  for (int i = 0; i < 120; ++i) {
    std::string voter = "v" + std::to_string((i * 37) % 120);  // not in voter order
    votes.push_back(Pv("id-" + voter, voter, "a", Outcome::kCounted));
  }
  ProcessedVote elsewhere = Pv("x1", "v5", "a", Outcome::kCounted);
  elsewhere.entry.vote.election_id = "e2";
  votes.push_back(elsewhere);
  PartitionCommit c = Batch(0, 0, std::move(votes));
  c.tally.elections["e1"] = {{"a", 120}};
  c.tally.elections["e2"] = {{"a", 1}};
  ASSERT_TRUE(st.Commit(c).ok());

  DynamoLedger ledger = Ledger();
  std::vector<std::string> seen;
  ASSERT_TRUE(ledger
                  .ScanCounted("e1",
                               [&](const Receipt& r) {
                                 EXPECT_EQ(r.vote_id, "id-" + r.voter_id);
                                 EXPECT_EQ(r.election_id, "e1");
                                 seen.push_back(r.voter_id);
                                 return true;
                               })
                  .ok());
  ASSERT_EQ(seen.size(), 120u);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(std::adjacent_find(seen.begin(), seen.end()), seen.end()) << "each voter once";
  int n = 0;
  ASSERT_TRUE(ledger.ScanCounted("e1", [&](const Receipt&) { return ++n < 10; }).ok());
  EXPECT_EQ(n, 10) << "stops when told";
  n = 0;
  ASSERT_TRUE(ledger.ScanCounted("e3", [&](const Receipt&) { return ++n > 0; }).ok());
  EXPECT_EQ(n, 0);
}

TEST_F(DynamoStateTest, ResultsAreTheSumOfThePartitionsCheckpoints) {
  SystemClock clock;
  CheckpointReadModel results(*client_, tables_, clock, catalog_, 2, milliseconds(20));
  EXPECT_EQ(results.Get("e1").status().code(), Code::kUnavailable) << "not loaded yet";
  ASSERT_TRUE(results.Start().ok());
  EXPECT_EQ(results.Get("e1")->seq, 0u);
  EXPECT_TRUE(results.Get("e1")->votes.empty());

  DynamoProcessorState st(*client_, tables_);
  PartitionCommit p0 = Batch(
      0, 0, {Pv("v1", "alice", "a", Outcome::kCounted), Pv("v2", "bob", "b", Outcome::kCounted)});
  p0.tally.elections["e1"] = {{"a", 1}, {"b", 1}};
  ASSERT_TRUE(st.Commit(p0).ok());
  PartitionCommit p1 =
      Batch(1, 0,
            {Pv("v3", "carol", "a", Outcome::kCounted), Pv("v4", "dave", "zz", Outcome::kRejected),
             Pv("v5", "erin", "a", Outcome::kCounted)});
  p1.tally.elections["e1"] = {{"a", 2}};
  ASSERT_TRUE(st.Commit(p1).ok());
  // Seen by the background refresh.
  ASSERT_TRUE(WaitFor([&] {
    return results.Get("e1")->votes == OptionCounts{{"a", 3}, {"b", 1}};
  }));
  EXPECT_EQ(results.Get("e1")->seq, 2u + 3u);
  // A batch that counts nothing for e1 moves neither its counts nor its seq.
  PartitionCommit other = Batch(1, 3, {Pv("v6", "frank", "zz", Outcome::kRejected)});
  ASSERT_TRUE(st.Commit(other).ok());
  ASSERT_TRUE(results.Refresh().ok());
  EXPECT_EQ(results.Get("e1")->seq, 5u);
  PartitionCommit more = Batch(1, 4, {Pv("v7", "gina", "b", Outcome::kCounted)});
  more.tally.elections["e1"] = {{"a", 2}, {"b", 1}};
  ASSERT_TRUE(st.Commit(more).ok());
  ASSERT_TRUE(results.Refresh().ok());
  EXPECT_EQ(results.Get("e1")->votes, (OptionCounts{{"a", 3}, {"b", 2}}));
  EXPECT_EQ(results.Get("e1")->seq, 2u + 5u);
  results.Stop();
}

}  // namespace
}  // namespace urna::dynamodb
