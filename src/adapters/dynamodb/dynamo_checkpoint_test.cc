// The checkpoint and the tally items against dynalite: a partition that has counted thousands of
// elections still writes a small checkpoint per batch (the per-election tallies live in their own
// items, written only for the elections a batch changed) and loads back whole; a crash between
// the checkpoint and its tally items is rolled forward by the next Load, once, and before the
// next checkpoint replaces its record; a late roll forward of an older checkpoint (a zombie's)
// changes nothing; a batch is cut before its checkpoint could pass the size limit, and a commit
// that would pass it is refused; results stop reading an election sealed in every partition.
#include "adapters/dynamodb/dynamo_state_test_fixture.h"
#include "adapters/dynamodb/dynamo_tallies.h"

#include <iostream>

namespace urna::dynamodb {
namespace {

using std::chrono::milliseconds;

// The real client, counting the bytes of the write requests sent through it.
class CountingClient final : public DynamoClient {
 public:
  explicit CountingClient(DynamoClient& inner) : inner_(inner) {}
  Result<std::string> Call(const DynamoRequest& r) override {
    Count(r);
    return inner_.Call(r);
  }
  std::vector<Result<std::string>> CallAll(const std::vector<DynamoRequest>& rs) override {
    for (const auto& r : rs) Count(r);
    return inner_.CallAll(rs);
  }
  std::atomic<uint64_t> write_bytes{0};
  std::string needle = "\"election\":";  // BatchGetItem keys of the tallies table
  std::atomic<uint64_t> keys_read{0};

 private:
  void Count(const DynamoRequest& r) {
    if (r.operation == "PutItem" || r.operation == "UpdateItem" ||
        r.operation == "BatchWriteItem") {
      write_bytes += r.body.size();
    }
    if (r.operation == "BatchGetItem") {
      for (size_t at = r.body.find(needle); at != std::string::npos;
           at = r.body.find(needle, at + 1)) {
        ++keys_read;
      }
    }
  }
  DynamoClient& inner_;
};

// A batch of one counted vote per election, elections `first`..`first + n - 1`.
PartitionCommit ElectionsBatch(uint32_t partition, uint64_t from, int first, int n) {
  PartitionCommit c;
  c.partition = partition;
  c.from_offset = from;
  uint64_t o = from;
  for (int i = first; i < first + n; ++i) {
    ProcessedVote pv;
    std::string election = "election-" + std::to_string(i);
    pv.entry.vote = {"v" + std::to_string(i), election, "option-a", "voter", 150, "n"};
    pv.entry.partition = partition;
    pv.entry.offset = o++;
    pv.outcome = Outcome::kCounted;
    c.tally.elections[election] = {{"option-a", 1}};
    c.votes.push_back(std::move(pv));
  }
  c.next_offset = o;
  c.tally.partition = partition;
  c.tally.next_offset = o;
  return c;
}

TEST_F(DynamoStateTest, ThousandsOfElectionsDoNotGrowTheWriteOfABatch) {
  CountingClient counting(*client_);
  DynamoProcessorState st(counting, tables_);
  ASSERT_TRUE(st.Load(0).ok());
  uint64_t from = 0;
  auto commit = [&](int first, int n) -> uint64_t {
    PartitionCommit c = ElectionsBatch(0, from, first, n);
    const uint64_t before = counting.write_bytes;
    Status s = st.Commit(c);
    EXPECT_TRUE(s.ok()) << s.message();
    from = c.next_offset;
    return counting.write_bytes - before;
  };
  const uint64_t first_batch = commit(0, 1);
  constexpr int kElections = 3000;
  for (int i = 1; i < kElections; i += 100) commit(i, std::min(100, kElections - i));
  const uint64_t last_batch = commit(kElections, 1);
  // The same one-vote batch after 3,000 elections writes what it wrote after one (the old
  // layout rewrote every election's tally in the checkpoint: ~100 KB here, 400 KB and failing
  // past some thousands).
  EXPECT_LE(last_batch, first_batch + 64)
      << "first " << first_batch << " bytes, last " << last_batch << " bytes";
  EXPECT_LT(last_batch, 2048u);
  std::cout << "a one-vote batch writes " << first_batch << " bytes of requests, " << last_batch
            << " after " << kElections << " elections\n";

  // Everything loads back, exactly.
  DynamoProcessorState fresh(*client_, tables_);
  auto loaded = fresh.Load(0);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(loaded->tally.next_offset, from);
  ASSERT_EQ(loaded->tally.elections.size(), size_t{kElections + 1});
  for (const auto& [election, counts] : loaded->tally.elections) {
    EXPECT_EQ(counts, (OptionCounts{{"option-a", 1}})) << election;
  }
}

// A counted vote's and a processed batch's state as stored: the partition's tally items.
std::map<std::string, OptionCounts> StoredCounts(DynamoClient& client, const StateTables& tables,
                                                 uint32_t partition) {
  std::map<std::string, OptionCounts> out;
  auto items = ReadPartitionTallies(client, tables, partition);
  EXPECT_TRUE(items.ok()) << items.status().message();
  if (!items.ok()) return out;
  for (const auto& t : *items) out[t.election] = t.cell.counts.value_or(OptionCounts{});
  return out;
}

TEST_F(DynamoStateTest, CrashBetweenTheCheckpointAndItsTalliesIsRolledForwardOnce) {
  memory::MemoryLog log{1};
  Vote(log, "v1", "alice", "a");
  Vote(log, "v2", "bob", "b");
  TableFailingClient dying(*client_, tables_.tallies());
  dying.fail = false;
  DynamoProcessorState st(dying, tables_);
  PartitionProcessor p(0, log, st, catalog_, rm_);
  ASSERT_TRUE(p.Step(milliseconds(0)).ok());
  Vote(log, "v3", "carol", "a");
  Vote(log, "v4", "alice", "b");  // duplicate of v1
  Vote(log, "v5", "dave", "a");
  dying.fail = true;  // the ledger, receipts and checkpoint land, the tally items never do
  auto failed = p.Step(milliseconds(0));
  EXPECT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("committed"), std::string::npos)
      << failed.status().message();
  EXPECT_EQ(*st.NextOffset(0), 5u) << "the checkpoint is the commit";
  EXPECT_EQ(StoredCounts(*client_, tables_, 0)["e1"], (OptionCounts{{"a", 1}, {"b", 1}}))
      << "the items are one batch behind";

  // Another process loads the partition: the checkpoint's batch is rolled forward first.
  DynamoProcessorState other(*client_, tables_);
  auto loaded = other.Load(0);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(loaded->tally.next_offset, 5u);
  EXPECT_EQ(loaded->tally.elections["e1"], (OptionCounts{{"a", 3}, {"b", 1}}));
  EXPECT_EQ(StoredCounts(*client_, tables_, 0)["e1"], (OptionCounts{{"a", 3}, {"b", 1}}));
  // The failed processor itself, DynamoDB back: it reloads (rolling forward again changes
  // nothing), does not replay the committed batch, and counts on from there.
  dying.fail = false;
  Vote(log, "v6", "erin", "b");
  auto n = p.Step(milliseconds(0));
  ASSERT_TRUE(n.ok()) << n.status().message();
  EXPECT_EQ(*n, 1u);
  loaded = other.Load(0);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->tally.next_offset, 6u);
  EXPECT_EQ(loaded->tally.elections["e1"], (OptionCounts{{"a", 3}, {"b", 2}}));
  DynamoLedger ledger = Ledger();
  EXPECT_EQ(Find(ledger, "dave", "v5").outcome, Outcome::kCounted);
  EXPECT_EQ(Find(ledger, "alice", "v4").outcome, Outcome::kDuplicate);
  EXPECT_EQ(rm_.Votes("e1"), (OptionCounts{{"a", 3}, {"b", 2}}));
}

TEST_F(DynamoStateTest, ACheckpointIsNeverReplacedBeforeItsTalliesAreApplied) {
  TableFailingClient flaky(*client_, tables_.tallies());
  flaky.fail = true;
  DynamoProcessorState st(flaky, tables_);
  PartitionCommit b1 = Batch(0, 0, {Pv("v1", "alice", "a", Outcome::kCounted)});
  b1.tally.elections["e1"] = {{"a", 1}};
  EXPECT_FALSE(st.Commit(b1).ok()) << "committed, tallies not applied";
  flaky.fail = false;
  // The next batch changes another election only, on the same object and without a reload: the
  // stored checkpoint's record (e1) is applied before it is replaced.
  PartitionCommit b2 = Batch(0, 1, {Pv("w1", "bob", "a", Outcome::kCounted)});
  b2.votes[0].entry.vote.election_id = "e2";
  b2.tally.elections["e2"] = {{"a", 1}};
  Status s = st.Commit(b2);
  ASSERT_TRUE(s.ok()) << s.message();
  auto loaded = DynamoProcessorState(*client_, tables_).Load(0);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->tally.next_offset, 2u);
  EXPECT_EQ(loaded->tally.elections["e1"], (OptionCounts{{"a", 1}}));
  EXPECT_EQ(loaded->tally.elections["e2"], (OptionCounts{{"a", 1}}));
}

TEST_F(DynamoStateTest, ALateRollForwardOfAnOlderCheckpointChangesNothing) {
  DynamoProcessorState st(*client_, tables_);
  ASSERT_TRUE(st.Load(0).ok());
  PartitionCommit b1 = Batch(0, 0, {Pv("v1", "alice", "a", Outcome::kCounted)});
  b1.tally.elections["e1"] = {{"a", 1}};
  ASSERT_TRUE(st.Commit(b1).ok());
  items::Checkpoint stale;  // the checkpoint b1 wrote, as a zombie read it before pausing
  stale.next_offset = 1;
  stale.batch["e1"].counts = OptionCounts{{"a", 1}};
  stale.batch["e1"].changed = 1;
  PartitionCommit b2 = Batch(0, 1, {Pv("v2", "bob", "b", Outcome::kCounted)});
  b2.tally.elections["e1"] = {{"a", 1}, {"b", 1}};
  ASSERT_TRUE(st.Commit(b2).ok());

  // The zombie resumes and rolls its checkpoint forward: the items' fence refuses it.
  ASSERT_TRUE(ApplyBatch(*client_, tables_, 0, stale).ok());
  EXPECT_EQ(StoredCounts(*client_, tables_, 0)["e1"], (OptionCounts{{"a", 1}, {"b", 1}}));
  // Its commit on that base is refused too, and nothing moves.
  PartitionCommit zombie = Batch(0, 1, {Pv("v3", "carol", "a", Outcome::kCounted)});
  zombie.tally.elections["e1"] = {{"a", 2}};
  DynamoProcessorState zombie_state(*client_, tables_);
  EXPECT_EQ(zombie_state.Commit(zombie).code(), Code::kConflict);
  auto loaded = st.Load(0);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->tally.next_offset, 2u);
  EXPECT_EQ(loaded->tally.elections["e1"], (OptionCounts{{"a", 1}, {"b", 1}}));
}

TEST_F(DynamoStateTest, BatchesAreCutBeforeTheCheckpointPassesItsLimit) {
  tables_.max_checkpoint_bytes = 4000;  // 18 tally entries: 6 elections of 2 options a batch
  memory::MemoryLog log{1};
  constexpr int kElections = 60;
  for (int i = 0; i < kElections; ++i) {
    std::string id = "x" + std::to_string(i);
    Election e{id, "T", {{"a", "A"}, {"b", "B"}}, ElectionStatus::kDraft, 0, 0, 0};
    ASSERT_TRUE(OpenElection(e, 100).ok());
    ASSERT_TRUE(catalog_.Create(e).ok());
    Vote(log, "v" + std::to_string(i) + "a", "alice", "a", id);
    Vote(log, "v" + std::to_string(i) + "b", "bob", "b", id);
  }
  DynamoProcessorState st(*client_, tables_);
  EXPECT_EQ(st.MaxTallyEntriesPerBatch(), 18u);
  PartitionProcessor p(0, log, st, catalog_, rm_);
  size_t done = 0;
  for (int step = 0; step < 100 && done < 2 * kElections; ++step) {
    auto n = p.Step(milliseconds(0));
    ASSERT_TRUE(n.ok()) << n.status().message();
    done += *n;
  }
  EXPECT_EQ(done, size_t{2 * kElections});
  EXPECT_EQ(p.stats().counted, uint64_t{2 * kElections});
  EXPECT_GE(p.stats().batches, uint64_t{kElections / 6});
  EXPECT_EQ(st.oversized_checkpoints(), 0u);
  EXPECT_LE(st.largest_checkpoint_bytes(), tables_.max_checkpoint_bytes);
  auto loaded = DynamoProcessorState(*client_, tables_).Load(0);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->tally.next_offset, uint64_t{2 * kElections});
  ASSERT_EQ(loaded->tally.elections.size(), size_t{kElections});
  for (const auto& [id, counts] : loaded->tally.elections) {
    EXPECT_EQ(counts, (OptionCounts{{"a", 1}, {"b", 1}})) << id;
  }

  // A commit that would pass the limit anyway (not cut) is refused before anything is sent: a
  // clear error, counted, and nothing of it is written.
  PartitionCommit big = ElectionsBatch(0, 2 * kElections, 1000, 50);
  Status s = st.Commit(big);
  EXPECT_EQ(s.code(), Code::kInternal);
  EXPECT_NE(s.message().find("over its limit of 4000"), std::string::npos) << s.message();
  EXPECT_EQ(st.oversized_checkpoints(), 1u);
  EXPECT_EQ(*st.NextOffset(0), uint64_t{2 * kElections});
  DynamoLedger ledger = Ledger();
  auto row = ledger.FindCountedReceipt("election-1000", "voter");
  ASSERT_TRUE(row.ok());
  EXPECT_FALSE(row->has_value()) << "no ledger item of the refused batch";
}

TEST_F(DynamoStateTest, ResultsStopReadingAnElectionSealedInEveryPartition) {
  Election e2{"e2", "T", {{"a", "A"}}, ElectionStatus::kDraft, 0, 0, 0};
  ASSERT_TRUE(OpenElection(e2, 100).ok());
  ASSERT_TRUE(catalog_.Create(e2).ok());
  DynamoProcessorState st(*client_, tables_);
  for (uint32_t part = 0; part < 2; ++part) {
    const std::string n = std::to_string(part);
    PartitionCommit c = Batch(part, 0, {Pv("v" + n, "voter" + n, "a", Outcome::kCounted)});
    c.tally.elections["e1"] = {{"a", 1}};
    c.seals.push_back({"e1", 500});
    ASSERT_TRUE(st.Commit(c).ok());
  }
  PartitionCommit open = Batch(0, 1, {Pv("w1", "voter", "a", Outcome::kCounted)});
  open.votes[0].entry.vote.election_id = "e2";
  open.tally.elections["e2"] = {{"a", 1}};
  Status committed = st.Commit(open);
  ASSERT_TRUE(committed.ok()) << committed.message();

  CountingClient counting(*client_);
  counting.needle = "\"election\":{\"S\":\"e1\"}";
  SystemClock clock;
  CheckpointReadModel results(counting, tables_, clock, catalog_, 2, std::chrono::hours(1));
  ASSERT_TRUE(results.Refresh().ok());
  EXPECT_EQ(results.Get("e1")->votes, (OptionCounts{{"a", 2}}));
  EXPECT_EQ(results.Get("e2")->votes, (OptionCounts{{"a", 1}}));
  EXPECT_EQ(counting.keys_read, 2u) << "e1 read in both partitions";
  ASSERT_TRUE(results.Refresh().ok());
  ASSERT_TRUE(results.Refresh().ok());
  EXPECT_EQ(counting.keys_read, 2u) << "sealed everywhere: final, not read again";
  EXPECT_EQ(results.Get("e1")->votes, (OptionCounts{{"a", 2}}));
  EXPECT_EQ(results.Get("e1")->seq, 2u);
}

// A clock the test sets.
class SetClock final : public Clock {
 public:
  explicit SetClock(int64_t ms) : now(ms) {}
  int64_t NowMs() const override { return now; }
  std::atomic<int64_t> now;
};

// updated_at of `urna ingest`'s own results (issue 12 residual): the time the counts last changed
// is stored with them (the checkpoint that changed them, and its tally items), so a results
// reader that starts again (an ingest node's restart) shows the same updated_at; only a change of
// the counts moves it. It used to be the time the reader first read the counts after its start.
TEST_F(DynamoStateTest, ResultsUpdatedAtIsTheCountsOwnTimeAndSurvivesARestart) {
  DynamoProcessorState st(*client_, tables_);
  const int64_t before = SystemClock().NowMs();
  PartitionCommit c = Batch(0, 0, {Pv("v1", "alice", "a", Outcome::kCounted)});
  c.tally.elections["e1"] = {{"a", 1}};
  ASSERT_TRUE(st.Commit(c).ok());
  const int64_t after = SystemClock().NowMs();
  // The readers' clocks are a day and two days ahead: their own time cannot pass for the
  // counts' time.
  SetClock day(after + 86'400'000), two_days(after + 2 * 86'400'000);
  CheckpointReadModel first(*client_, tables_, day, catalog_, 2, std::chrono::hours(1));
  ASSERT_TRUE(first.Refresh().ok());
  auto t1 = first.Get("e1");
  ASSERT_TRUE(t1.ok());
  EXPECT_EQ(t1->votes, (OptionCounts{{"a", 1}}));
  EXPECT_GE(t1->updated_at_ms, before) << "not the time the counts changed";
  EXPECT_LE(t1->updated_at_ms, after) << "not the time the counts changed";
  CheckpointReadModel restarted(*client_, tables_, two_days, catalog_, 2, std::chrono::hours(1));
  ASSERT_TRUE(restarted.Refresh().ok());
  EXPECT_EQ(restarted.Get("e1")->updated_at_ms, t1->updated_at_ms) << "moved by a restart";
  EXPECT_EQ(restarted.Get("e1")->seq, t1->seq);
  // A change of the counts in another partition moves it to that change's time.
  PartitionCommit more = Batch(1, 0, {Pv("v2", "bob", "a", Outcome::kCounted)});
  more.tally.elections["e1"] = {{"a", 1}};
  ASSERT_TRUE(st.Commit(more).ok());
  const int64_t changed = SystemClock().NowMs();
  ASSERT_TRUE(restarted.Refresh().ok());
  EXPECT_EQ(restarted.Get("e1")->votes, (OptionCounts{{"a", 2}}));
  EXPECT_GE(restarted.Get("e1")->updated_at_ms, after);
  EXPECT_LE(restarted.Get("e1")->updated_at_ms, changed);
}

// A partition's new owner whose clock is behind the old owner's writes an earlier changed_at
// with later counts: results never show an updated_at older than one they showed for earlier
// counts (it used to go back by the clocks' difference).
TEST_F(DynamoStateTest, ResultsUpdatedAtDoesNotGoBackWhenANewOwnersClockIsBehind) {
  const int64_t t = 1'764'500'000'000;
  SetClock owner_clock(t + 3'600'000);  // the first owner's clock is an hour ahead
  DynamoProcessorState st(*client_, tables_, &owner_clock);
  PartitionCommit c = Batch(0, 0, {Pv("v1", "alice", "a", Outcome::kCounted)});
  c.tally.elections["e1"] = {{"a", 1}};
  ASSERT_TRUE(st.Commit(c).ok());
  SetClock reader_clock(t + 7'200'000);
  CheckpointReadModel results(*client_, tables_, reader_clock, catalog_, 1, std::chrono::hours(1));
  ASSERT_TRUE(results.Refresh().ok());
  ASSERT_EQ(results.Get("e1")->updated_at_ms, t + 3'600'000);
  owner_clock.now = t;  // the partition's next owner: an hour behind
  PartitionCommit next = Batch(0, 1, {Pv("v2", "bob", "a", Outcome::kCounted)});
  next.tally.elections["e1"] = {{"a", 2}};
  ASSERT_TRUE(st.Commit(next).ok());
  ASSERT_TRUE(results.Refresh().ok());
  EXPECT_EQ(results.Get("e1")->votes, (OptionCounts{{"a", 2}}));
  EXPECT_EQ(results.Get("e1")->updated_at_ms, t + 3'600'000) << "went back";
}

}  // namespace
}  // namespace urna::dynamodb
