// DynamoProcessorState against dynalite: exactly-once effects without transactions. A replay
// of committed batches changes nothing; a crash between a batch's ledger puts and its
// checkpoint, then the replay, counts each vote once (never as a duplicate of itself); a zombie
// behind the stored offset fails and changes nothing; two owners racing on one partition still
// count each voter once; a voter's second vote in a later batch is a duplicate; answers lost
// after DynamoDB applied a write are found as this processor's own; unprocessed keys are asked
// for again within a bound.
#include <algorithm>

#include "adapters/dynamodb/dynamo_state_test_fixture.h"

namespace urna::dynamodb {
namespace {

using std::chrono::milliseconds;

TEST_F(DynamoStateTest, CommitThenLoadAndReceiptsOfEveryFate) {
  DynamoProcessorState st(*client_, tables_);
  auto loaded = st.Load(0);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(loaded->tally.next_offset, 0u);
  PartitionCommit c = Batch(
      0, 0,
      {Pv("v1", "alice", "a", Outcome::kCounted), Pv("v2", "alice", "b", Outcome::kDuplicate, "v1"),
       Pv("v3", "bob", "zz", Outcome::kRejected)});
  c.tally.elections["e1"] = {{"a", 1}};
  c.seals.push_back({"e0", 77});
  ASSERT_TRUE(st.Commit(c).ok());

  DynamoProcessorState other(*client_, tables_);  // another process reads what was committed
  EXPECT_EQ(*other.NextOffset(0), 3u);
  EXPECT_EQ(*other.NextOffset(1), 0u);
  loaded = other.Load(0);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->tally.next_offset, 3u);
  EXPECT_EQ(loaded->tally.elections["e1"]["a"], 1u);
  EXPECT_EQ(loaded->sealed.at("e0"), 77);
  auto ids = other.CountedVotes(0, 3, {{"e1", "alice"}, {"e1", "bob"}, {"e2", "alice"}, {}});
  ASSERT_TRUE(ids.ok()) << ids.status().message();
  EXPECT_EQ((*ids)[0].counted, 1u);
  EXPECT_EQ((*ids)[0].first_vote_id, "v1");
  EXPECT_EQ((*ids)[1].counted, 0u);
  EXPECT_EQ((*ids)[2].counted, 0u);
  EXPECT_EQ((*ids)[3].counted, 0u) << "a seal entry has no voter";

  DynamoLedger ledger = Ledger();
  Receipt r = Find(ledger, "alice", "v1");
  EXPECT_EQ(r.outcome, Outcome::kCounted);
  EXPECT_EQ(r.option_id, "a");
  EXPECT_EQ(r.ingest_time_ms, 150);
  r = Find(ledger, "alice", "v2");
  EXPECT_EQ(r.outcome, Outcome::kDuplicate);
  EXPECT_EQ(r.counted_vote_id, "v1");
  EXPECT_EQ(r.option_id, "b");
  r = Find(ledger, "bob", "v3");
  EXPECT_EQ(r.outcome, Outcome::kRejected);
  EXPECT_EQ(r.reason, kReasonUnknownOption);
  EXPECT_FALSE(ledger.FindReceipt("e1", "bob", "v1")->has_value()) << "not bob's vote";
  EXPECT_FALSE(ledger.FindReceipt("e1", "alice", "v3")->has_value()) << "not alice's vote";
  EXPECT_EQ((*ledger.FindCountedReceipt("e1", "alice"))->vote_id, "v1");
  EXPECT_FALSE(ledger.FindCountedReceipt("e1", "bob")->has_value());

  // A batch of a seal alone (a seal is an entry of every partition) moves the offset only.
  PartitionCommit seal_only = Batch(0, 3, {});
  seal_only.next_offset = seal_only.tally.next_offset = 4;
  seal_only.seals.push_back({"e1", 99});
  ASSERT_TRUE(other.Commit(seal_only).ok());
  loaded = st.Load(0);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->tally.next_offset, 4u);
  EXPECT_EQ(loaded->sealed.at("e1"), 99);
  EXPECT_EQ(loaded->sealed.at("e0"), 77);
  EXPECT_EQ(loaded->tally.elections["e1"]["a"], 1u);
}

TEST_F(DynamoStateTest, AReplayOfCommittedBatchesFailsAndChangesNothing) {
  DynamoProcessorState st(*client_, tables_);
  ASSERT_TRUE(st.Load(0).ok());
  PartitionCommit first = Batch(0, 0, {Pv("v1", "alice", "a", Outcome::kCounted)});
  first.tally.elections["e1"] = {{"a", 1}};
  ASSERT_TRUE(st.Commit(first).ok());
  PartitionCommit second = Batch(0, 1, {Pv("v2", "bob", "b", Outcome::kCounted)});
  second.tally.elections["e1"] = {{"a", 1}, {"b", 1}};
  ASSERT_TRUE(st.Commit(second).ok());

  // Another processor (or this one, restarted) replays both from offset 0 on a stale load.
  DynamoProcessorState zombie(*client_, tables_);
  EXPECT_EQ(zombie.Commit(first).code(), Code::kConflict);
  EXPECT_EQ(zombie.Commit(second).code(), Code::kConflict);
  // The same batch decided otherwise (bob's vote rejected): refused too.
  PartitionCommit other = Batch(0, 1, {Pv("v2", "bob", "b", Outcome::kRejected)});
  EXPECT_EQ(zombie.Commit(other).code(), Code::kConflict);

  auto loaded = st.Load(0);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->tally.next_offset, 2u);
  EXPECT_EQ(loaded->tally.elections["e1"], (OptionCounts{{"a", 1}, {"b", 1}}));
  DynamoLedger ledger = Ledger();
  EXPECT_EQ(Find(ledger, "alice", "v1").outcome, Outcome::kCounted);
  EXPECT_EQ(Find(ledger, "bob", "v2").outcome, Outcome::kCounted)
      << "the refused batch's receipt never hides the ledger row";
}

TEST_F(DynamoStateTest, CrashBetweenLedgerAndCheckpointThenReplayCountsEachVoteOnce) {
  memory::MemoryLog log{1};
  Vote(log, "v1", "alice", "a");
  Vote(log, "v2", "bob", "b");
  Vote(log, "v3", "alice", "b");   // duplicate of v1
  Vote(log, "v4", "carol", "zz");  // rejected
  Vote(log, "v5", "dave", "a");
  {
    TableFailingClient dying(*client_, tables_.checkpoints());
    dying.fail = false;
    DynamoProcessorState st(dying, tables_);
    PartitionProcessor p(0, log, st, catalog_, rm_);
    ASSERT_TRUE(p.Load().ok());
    dying.fail = true;  // the ledger and receipts land, the checkpoint never does
    EXPECT_FALSE(p.Step(milliseconds(0)).ok());
  }
  DynamoProcessorState st(*client_, tables_);
  EXPECT_EQ(*st.NextOffset(0), 0u);
  DynamoLedger ledger = Ledger();
  ASSERT_TRUE(ledger.FindCountedReceipt("e1", "alice")->has_value()) << "the crash's ledger rows";

  // The replay, by a new process: the rows it finds are its own batch's, counted again.
  PartitionProcessor p(0, log, st, catalog_, rm_);
  auto n = p.Step(milliseconds(0));
  ASSERT_TRUE(n.ok()) << n.status().message();
  EXPECT_EQ(*n, 5u);
  auto loaded = st.Load(0);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->tally.next_offset, 5u);
  EXPECT_EQ(loaded->tally.elections["e1"], (OptionCounts{{"a", 2}, {"b", 1}}));
  EXPECT_EQ(Find(ledger, "alice", "v1").outcome, Outcome::kCounted);
  EXPECT_EQ(Find(ledger, "bob", "v2").outcome, Outcome::kCounted);
  EXPECT_EQ(Find(ledger, "dave", "v5").outcome, Outcome::kCounted);
  EXPECT_EQ(Find(ledger, "alice", "v3").outcome, Outcome::kDuplicate);
  EXPECT_EQ(Find(ledger, "alice", "v3").counted_vote_id, "v1");
  EXPECT_EQ(Find(ledger, "carol", "v4").outcome, Outcome::kRejected);
  EXPECT_EQ(p.stats().counted, 3u);
  EXPECT_EQ(p.stats().duplicate, 1u);
  EXPECT_EQ(rm_.Votes("e1")["a"], 2u);
}

TEST_F(DynamoStateTest, AZombieBehindTheCheckpointFailsAndChangesNothing) {
  memory::MemoryLog log{1};
  Vote(log, "v1", "alice", "a");
  Vote(log, "v2", "bob", "b");
  DynamoProcessorState zombie_state(*client_, tables_);
  PartitionProcessor zombie(0, log, zombie_state, catalog_, rm_, /*max_batch=*/2);
  ASSERT_TRUE(zombie.Load().ok());  // loads offset 0, then stalls (SIGSTOP)

  // The partition's new owner processes everything, in batches of 1, and more arrives.
  Vote(log, "v3", "alice", "b");
  Vote(log, "v4", "carol", "a");
  DynamoProcessorState owner_state(*client_, tables_);
  PartitionProcessor owner(0, log, owner_state, catalog_, rm_, /*max_batch=*/1);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(owner.Step(milliseconds(0)).ok());
  auto before = owner_state.Load(0);
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(before->tally.next_offset, 4u);

  // The zombie resumes (SIGCONT): its batch [0, 2) writes rows identical to the owner's and its
  // checkpoint fails: the stored one is at 4.
  auto z = zombie.Step(milliseconds(0));
  EXPECT_EQ(z.status().code(), Code::kConflict) << z.status().message();
  auto after = owner_state.Load(0);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->tally.next_offset, 4u);
  EXPECT_EQ(after->tally.elections, before->tally.elections);
  EXPECT_EQ(after->tally.elections["e1"], (OptionCounts{{"a", 2}, {"b", 1}}));
  DynamoLedger ledger = Ledger();
  EXPECT_EQ(Find(ledger, "alice", "v1").outcome, Outcome::kCounted);
  EXPECT_EQ(Find(ledger, "alice", "v3").outcome, Outcome::kDuplicate);
  EXPECT_EQ(Find(ledger, "alice", "v3").counted_vote_id, "v1");
  // Reloaded, the former zombie goes on from the owner's checkpoint: nothing is left to count.
  auto again = zombie.Step(milliseconds(0));
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(*again, 0u);
  EXPECT_EQ(*owner_state.NextOffset(0), 4u);
}

// Split brain: two processes both think they own the partition (a zombie that never stops) and
// step through it at once with different batch sizes, each retrying after its conflicts. The
// result is still exact: one ledger row per voter, holding the voter's first vote in log order,
// and checkpoint totals equal to the ledger.
TEST_F(DynamoStateTest, TwoOwnersOfOnePartitionRacingCountEachVoterOnce) {
  memory::MemoryLog log{1};
  const int kVoters = 120, kVotes = 240;
  std::map<std::string, std::string> first;  // voter -> first vote id in log order
  for (int i = 0; i < kVotes; ++i) {
    std::string voter = "voter" + std::to_string((i * 7) % kVoters);
    std::string id = "id" + std::to_string(i);
    first.emplace(voter, id);
    Vote(log, id, voter, i % 3 ? "a" : "b");
  }
  const uint64_t end = *log.EndOffset(0);
  auto run = [&](size_t batch, std::atomic<int>* conflicts) {
    DynamoProcessorState st(*client_, tables_);
    memory::MemoryReadModel rm;
    PartitionProcessor p(0, log, st, catalog_, rm, batch);
    for (int i = 0; i < 2000 && *st.NextOffset(0) < end; ++i) {
      auto n = p.Step(milliseconds(0));
      if (!n.ok()) ++*conflicts;
    }
  };
  std::atomic<int> conflicts{0};
  std::thread a(run, 7, &conflicts);
  std::thread b(run, 13, &conflicts);
  a.join();
  b.join();

  DynamoProcessorState st(*client_, tables_);
  auto loaded = st.Load(0);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->tally.next_offset, end);
  EXPECT_EQ(Total(loaded->tally.elections["e1"]), static_cast<uint64_t>(kVoters));
  DynamoLedger ledger = Ledger();
  OptionCounts from_ledger;
  int rows = 0;
  ASSERT_TRUE(ledger
                  .ScanCounted("e1",
                               [&](const Receipt& r) {
                                 ++rows;
                                 ++from_ledger[r.option_id];
                                 EXPECT_EQ(r.vote_id, first[r.voter_id]) << r.voter_id;
                                 return true;
                               })
                  .ok());
  EXPECT_EQ(rows, kVoters);
  EXPECT_EQ(from_ledger, loaded->tally.elections["e1"]);
  for (int i = 0; i < kVotes; ++i) {
    std::string voter = "voter" + std::to_string((i * 7) % kVoters);
    std::string id = "id" + std::to_string(i);
    Receipt r = Find(ledger, voter, id);
    if (first[voter] == id) {
      EXPECT_EQ(r.outcome, Outcome::kCounted) << id;
    } else {
      EXPECT_EQ(r.outcome, Outcome::kDuplicate) << id;
      EXPECT_EQ(r.counted_vote_id, first[voter]) << id;
    }
  }
  std::printf("conflicts seen by the two owners: %d\n", conflicts.load());
}

TEST_F(DynamoStateTest, AVotersSecondVoteInALaterBatchIsADuplicate) {
  memory::MemoryLog log{1};
  DynamoProcessorState st(*client_, tables_);
  PartitionProcessor p(0, log, st, catalog_, rm_);
  Vote(log, "v1", "alice", "a");
  ASSERT_TRUE(p.Step(milliseconds(0)).ok());
  Vote(log, "v2", "alice", "b");
  ASSERT_TRUE(p.Step(milliseconds(0)).ok());
  DynamoLedger ledger = Ledger();
  EXPECT_EQ(Find(ledger, "alice", "v1").outcome, Outcome::kCounted);
  Receipt r = Find(ledger, "alice", "v2");
  EXPECT_EQ(r.outcome, Outcome::kDuplicate);
  EXPECT_EQ(r.counted_vote_id, "v1");
  EXPECT_EQ(st.Load(0)->tally.elections["e1"], (OptionCounts{{"a", 1}}));
}

TEST_F(DynamoStateTest, AnotherVoteHoldingTheLedgerRowFailsTheCommitThenItIsADuplicate) {
  memory::MemoryLog log{1};
  Vote(log, "v2", "alice", "b");
  DynamoProcessorState st(*client_, tables_);
  PartitionProcessor p(0, log, st, catalog_, rm_);
  ASSERT_TRUE(p.Load().ok());
  // Between this batch's lookup and its commit, another partition's processor (the topic was
  // repartitioned) counts alice's other vote: simulated by committing it first.
  DynamoProcessorState elsewhere(*client_, tables_);
  PartitionCommit c = Batch(1, 0, {Pv("v1", "alice", "a", Outcome::kCounted)});
  c.tally.elections["e1"] = {{"a", 1}};
  auto ids = st.CountedVotes(0, 0, {{"e1", "alice"}});
  ASSERT_TRUE(ids.ok() && (*ids)[0].counted == 0);
  ASSERT_TRUE(elsewhere.Commit(c).ok());
  PartitionCommit mine = Batch(0, 0, {Pv("v2", "alice", "b", Outcome::kCounted)});
  mine.tally.elections["e1"] = {{"b", 1}};
  EXPECT_EQ(st.Commit(mine).code(), Code::kConflict);
  EXPECT_EQ(*st.NextOffset(0), 0u) << "nothing of the batch is checkpointed";
  // The processor decides again and now sees the other vote.
  ASSERT_TRUE(p.Step(milliseconds(0)).ok());
  DynamoLedger ledger = Ledger();
  Receipt r = Find(ledger, "alice", "v2");
  EXPECT_EQ(r.outcome, Outcome::kDuplicate);
  EXPECT_EQ(r.counted_vote_id, "v1");
  EXPECT_TRUE(st.Load(0)->tally.elections.empty());
}

TEST_F(DynamoStateTest, LostAnswersAreFoundAsTheirOwnWrites) {
  auto proxied = Client(proxy_->endpoint());
  DynamoProcessorState st(*proxied, tables_);
  ASSERT_TRUE(st.Load(0).ok());
  // A batch whose only PutItem is its checkpoint: DynamoDB applies it, the answer is a 500, and
  // the client's retry finds the condition failed by that very write.
  PartitionCommit c = Batch(
      0, 0,
      {Pv("v1", "alice", "zz", Outcome::kRejected), Pv("v2", "bob", "zz", Outcome::kRejected)});
  ASSERT_TRUE(proxy_->Inject("internal", "PutItem", 1, 1, /*after=*/true).ok());
  Status s = st.Commit(c);
  EXPECT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(proxy_->Injected("internal"), 1);
  EXPECT_EQ(*st.NextOffset(0), 2u);
  // The same for a ledger row (its condition admits its own vote) and the next checkpoint.
  PartitionCommit next = Batch(0, 2, {Pv("v3", "carol", "b", Outcome::kCounted)});
  next.tally.elections["e1"] = {{"b", 1}};
  ASSERT_TRUE(proxy_->Inject("internal", "PutItem", 2, 1, /*after=*/true).ok());
  s = st.Commit(next);
  EXPECT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(proxy_->Injected("internal"), 3);
  EXPECT_EQ(st.Load(0)->tally.elections["e1"], (OptionCounts{{"b", 1}}));
  EXPECT_EQ(st.Load(0)->tally.next_offset, 3u);
  DynamoLedger ledger = Ledger();
  EXPECT_EQ(Find(ledger, "carol", "v3").outcome, Outcome::kCounted);
}

TEST_F(DynamoStateTest, KeysLeftUnprocessedAreAskedForAgainWithinABound) {
  DynamoProcessorState writer(*client_, tables_);
  ASSERT_TRUE(writer.Load(0).ok());
  std::vector<ProcessedVote> votes;
  std::vector<VoterKey> keys;
  for (int i = 0; i < 150; ++i) {  // two BatchGetItem requests (100 keys at most each)
    std::string voter = "v" + std::to_string(i);
    votes.push_back(Pv("id-" + voter, voter, "a", Outcome::kCounted));
    keys.push_back({"e1", voter});
  }
  PartitionCommit c = Batch(0, 0, std::move(votes));
  c.tally.elections["e1"] = {{"a", 150}};
  ASSERT_TRUE(writer.Commit(c).ok());

  UnprocessingClient throttled(*client_);
  DynamoProcessorState st(throttled, tables_);
  throttled.rounds = 4;  // two rounds of two requests: the keys come in a few at a time
  auto ids = st.CountedVotes(0, 150, keys);
  ASSERT_TRUE(ids.ok()) << ids.status().message();
  EXPECT_EQ(throttled.rounds, 0);
  for (int i = 0; i < 150; ++i) EXPECT_EQ((*ids)[i].first_vote_id, "id-v" + std::to_string(i));
  throttled.rounds = 1000;  // never done: a bounded number of rounds, then unavailable
  EXPECT_EQ(st.CountedVotes(0, 150, keys).status().code(), Code::kUnavailable);
}

// policy (votes_per_voter 3): a voter's first 3 votes in log order count, each in its own ledger
// item; later ones are duplicates citing the first. A crash between a batch's ledger items and
// its checkpoint replays the batch: the count read back skips the batch's own items, so the
// third vote is counted again (the same item), not taken for a fourth.
TEST_F(DynamoStateTest, UpToNVotesPerVoterCountOnceEachAcrossACrashAndItsReplay) {
  Election e{"e3", "T", {{"a", "A"}, {"b", "B"}}, ElectionStatus::kDraft, 0, 0, 0};
  e.votes_per_voter = 3;
  ASSERT_TRUE(OpenElection(e, 100).ok());
  ASSERT_TRUE(catalog_.Create(e).ok());
  memory::MemoryLog log{1};
  for (int i = 1; i <= 5; ++i) Vote(log, "v" + std::to_string(i), "alice", i % 2 ? "a" : "b", "e3");
  Vote(log, "v6", "bob", "a", "e3");
  {
    TableFailingClient dying(*client_, tables_.checkpoints());
    dying.fail = false;
    DynamoProcessorState st(dying, tables_);
    PartitionProcessor p(0, log, st, catalog_, rm_, /*max_batch=*/2);
    ASSERT_TRUE(p.Step(milliseconds(0)).ok());  // v1, v2
    dying.fail = true;                          // v3's item lands, the checkpoint never does
    EXPECT_FALSE(p.Step(milliseconds(0)).ok());
  }
  DynamoProcessorState st(*client_, tables_);
  EXPECT_EQ(*st.NextOffset(0), 2u);
  PartitionProcessor p(0, log, st, catalog_, rm_, /*max_batch=*/2);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(p.Step(milliseconds(0)).ok());
  EXPECT_EQ(*st.NextOffset(0), 6u);
  EXPECT_EQ(st.Load(0)->tally.elections["e3"], (OptionCounts{{"a", 3}, {"b", 1}}));

  DynamoLedger ledger = Ledger(&log);
  for (const char* id : {"v1", "v2", "v3"}) {
    EXPECT_EQ(Find(ledger, "alice", id, "e3").outcome, Outcome::kCounted) << id;
  }
  for (const char* id : {"v4", "v5"}) {
    Receipt r = Find(ledger, "alice", id, "e3");
    EXPECT_EQ(r.outcome, Outcome::kDuplicate) << id;
    EXPECT_EQ(r.counted_vote_id, "v1") << id;
  }
  EXPECT_EQ(Find(ledger, "bob", "v6", "e3").outcome, Outcome::kCounted);
  std::vector<std::string> rows;  // one item per counted vote, the voter's id on each
  ASSERT_TRUE(ledger
                  .ScanCounted("e3",
                               [&](const Receipt& r) {
                                 rows.push_back(r.voter_id + ":" + r.vote_id);
                                 return true;
                               })
                  .ok());
  std::sort(rows.begin(), rows.end());
  EXPECT_EQ(rows, (std::vector<std::string>{"alice:v1", "alice:v2", "alice:v3", "bob:v6"}));
  auto prior = st.CountedVotes(0, 6, {{"e3", "alice", true}, {"e3", "bob", true}});
  ASSERT_TRUE(prior.ok()) << prior.status().message();
  EXPECT_EQ((*prior)[0].counted, 3u);
  EXPECT_EQ((*prior)[0].first_vote_id, "v1");
  EXPECT_EQ((*prior)[1].counted, 1u);
  // As the batch from offset 2 saw it during the replay: v3's item is the batch's own.
  prior = st.CountedVotes(0, 2, {{"e3", "alice", true}});
  ASSERT_TRUE(prior.ok());
  EXPECT_EQ((*prior)[0].counted, 2u);
}

// policy: a replayed batch of one voter's many votes (unlimited, or a large N) finds the rows it
// wrote before the crash ahead of it and skips them to reach the voter's count. Those rows are
// read in pages of up to 1,000 (DynamoDB returns at most 1 MB a page: ~100 bytes a row here), so
// a batch of 120 of one voter's votes is skipped in one Query, not one per 25 rows.
TEST_F(DynamoStateTest, RowsAheadOfAReplayedBatchAreSkippedInLargePages) {
  Election e{"many", "T", {{"a", "A"}}, ElectionStatus::kDraft, 0, 0, 0};
  e.votes_per_voter = kMaxVotesPerVoter;
  ASSERT_TRUE(OpenElection(e, 100).ok());
  ASSERT_TRUE(catalog_.Create(e).ok());
  constexpr int kVotes = 120;
  std::vector<ProcessedVote> votes;
  for (int i = 1; i <= kVotes; ++i) {
    ProcessedVote pv = Pv("a" + std::to_string(i), "alice", "a", Outcome::kCounted);
    pv.entry.vote.election_id = "many";
    pv.ordinal = i;
    votes.push_back(std::move(pv));
  }
  PartitionCommit c = Batch(0, 0, std::move(votes));
  c.tally.elections["many"] = {{"a", kVotes}};
  {
    DynamoProcessorState writer(*client_, tables_);
    ASSERT_TRUE(writer.Load(0).ok());
    ASSERT_TRUE(writer.Commit(c).ok());
  }

  // Counts the Query requests (the voter's later rows), passing every request on.
  struct QueryCounter final : DynamoClient {
    explicit QueryCounter(DynamoClient& inner) : inner(inner) {}
    Result<std::string> Call(const DynamoRequest& r) override {
      if (r.operation == "Query") ++queries;
      return inner.Call(r);
    }
    std::vector<Result<std::string>> CallAll(const std::vector<DynamoRequest>& rs) override {
      for (const auto& r : rs) queries += r.operation == "Query";
      return inner.CallAll(rs);
    }
    DynamoClient& inner;
    int queries = 0;
  } counter(*client_);
  DynamoProcessorState st(counter, tables_);
  // As the replay of the batch from offset 1 sees it: rows 2..120 are its own, written ahead.
  auto prior = st.CountedVotes(0, 1, {{"many", "alice", true}});
  ASSERT_TRUE(prior.ok()) << prior.status().message();
  EXPECT_EQ((*prior)[0].counted, 1u);
  EXPECT_EQ((*prior)[0].first_vote_id, "a1");
  EXPECT_EQ(counter.queries, 1) << "rows ahead of the batch are read in pages of 1,000";
  // After the whole batch: the newest row is the count, at once.
  counter.queries = 0;
  prior = st.CountedVotes(0, kVotes, {{"many", "alice", true}});
  ASSERT_TRUE(prior.ok());
  EXPECT_EQ((*prior)[0].counted, static_cast<uint64_t>(kVotes));
  EXPECT_EQ(counter.queries, 1);
}

}  // namespace
}  // namespace urna::dynamodb
