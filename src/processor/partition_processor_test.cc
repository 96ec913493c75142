#include "processor/partition_processor.h"

#include <gtest/gtest.h>

#include <thread>

#include "adapters/memory/memory_catalog.h"
#include "adapters/memory/memory_processor_state.h"
#include "adapters/memory/memory_read_model.h"
#include "adapters/memory/memory_vote_log.h"
#include "core/partition.h"

namespace urna {
namespace {

class ProcessorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Election e{"e1", "T", {{"a", "A"}, {"b", "B"}}, ElectionStatus::kDraft, 0, 0, 0};
    ASSERT_TRUE(OpenElection(e, 100).ok());
    ASSERT_TRUE(catalog.Create(e).ok());
  }
  void Vote(std::string id, std::string voter, std::string option, int64_t t = 150,
            std::string election = "e1") {
    log.Append({std::move(id), std::move(election), std::move(option), std::move(voter), t, "n"},
               [](Status) {});
  }
  memory::MemoryLog log{1};
  memory::MemoryProcessorState state;
  memory::MemoryCatalog catalog;
  memory::MemoryReadModel rm;
};

TEST_F(ProcessorTest, FirstVoteWinsWithinAndAcrossBatches) {
  Vote("v1", "alice", "a");
  Vote("v2", "alice", "b");  // same batch: duplicate
  Vote("v3", "bob", "b");
  PartitionProcessor p(0, log, state, catalog, rm, /*max_batch=*/2);
  ASSERT_TRUE(p.Step(std::chrono::milliseconds(0)).ok());
  ASSERT_TRUE(p.Step(std::chrono::milliseconds(0)).ok());
  Vote("v4", "bob", "a");  // later batch: duplicate via the voter index
  ASSERT_TRUE(p.Step(std::chrono::milliseconds(0)).ok());
  EXPECT_EQ(state.outcomes["v1"], Outcome::kCounted);
  EXPECT_EQ(state.outcomes["v2"], Outcome::kDuplicate);
  EXPECT_EQ(state.outcomes["v3"], Outcome::kCounted);
  EXPECT_EQ(state.outcomes["v4"], Outcome::kDuplicate);
  // A duplicate's receipt names the vote that counts, in the batch or from the voter index.
  EXPECT_EQ((*state.FindReceipt("v2"))->counted_vote_id, "v1");
  EXPECT_EQ((*state.FindReceipt("v4"))->counted_vote_id, "v3");
  EXPECT_EQ((*state.FindReceipt("v4"))->reason, "");
  EXPECT_EQ(rm.Votes("e1")["a"], 1u);
  EXPECT_EQ(rm.Votes("e1")["b"], 1u);
  EXPECT_EQ(p.stats().counted, 2u);
  EXPECT_EQ(p.stats().duplicate, 2u);
}

// policy: with votes_per_voter 3 the first 3 votes of a voter in log order count, within a batch
// and across batches (the voter index says how many counted before), each in its own ledger row;
// later ones are duplicates of the first.
TEST_F(ProcessorTest, UpToNVotesPerVoterCountWithinAndAcrossBatches) {
  Election e{"e3", "T", {{"a", "A"}, {"b", "B"}}, ElectionStatus::kDraft, 0, 0, 0};
  e.votes_per_voter = 3;
  ASSERT_TRUE(OpenElection(e, 100).ok());
  ASSERT_TRUE(catalog.Create(e).ok());
  for (int i = 1; i <= 5; ++i) Vote("v" + std::to_string(i), "alice", i % 2 ? "a" : "b", 150, "e3");
  Vote("w1", "alice", "a");  // one vote per voter in e1, whatever e3 allows
  Vote("w2", "alice", "a");
  PartitionProcessor p(0, log, state, catalog, rm, /*max_batch=*/2);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(p.Step(std::chrono::milliseconds(0)).ok());
  for (const char* id : {"v1", "v2", "v3", "w1"}) {
    EXPECT_EQ(state.outcomes[id], Outcome::kCounted) << id;
  }
  for (const char* id : {"v4", "v5", "w2"})
    EXPECT_EQ(state.outcomes[id], Outcome::kDuplicate) << id;
  EXPECT_EQ((*state.FindReceipt("v5"))->counted_vote_id, "v1");
  EXPECT_EQ(rm.Votes("e3")["a"], 2u);
  EXPECT_EQ(rm.Votes("e3")["b"], 1u);
  int rows = 0;
  ASSERT_TRUE(state.ScanCounted("e3", [&](const Receipt&) { return ++rows, true; }).ok());
  EXPECT_EQ(rows, 3);
}

TEST_F(ProcessorTest, RejectsUnknownOptionAndElection) {
  Vote("v1", "alice", "zzz");
  Vote("v3", "carol", "a", 150, "nope");  // unknown election
  Vote("v4", "alice", "a");               // alice's rejected vote did not use up her vote
  PartitionProcessor p(0, log, state, catalog, rm);
  ASSERT_TRUE(p.Step(std::chrono::milliseconds(0)).ok());
  EXPECT_EQ(state.outcomes["v1"], Outcome::kRejected);
  EXPECT_EQ((*state.FindReceipt("v1"))->reason, kReasonUnknownOption);
  EXPECT_EQ(state.outcomes["v3"], Outcome::kRejected);
  EXPECT_EQ((*state.FindReceipt("v3"))->reason, kReasonUnknownElection);
  EXPECT_EQ(state.outcomes["v4"], Outcome::kCounted);
  EXPECT_EQ(p.stats().rejected, 2u);
}

TEST_F(ProcessorTest, FailedCommitIsRetriedWithoutDoubleCounting) {
  Vote("v1", "alice", "a");
  PartitionProcessor p(0, log, state, catalog, rm);
  state.fail_commits = true;
  EXPECT_FALSE(p.Step(std::chrono::milliseconds(0)).ok());
  EXPECT_TRUE(state.outcomes.empty());
  state.fail_commits = false;
  ASSERT_TRUE(p.Step(std::chrono::milliseconds(0)).ok());
  EXPECT_EQ(*state.NextOffset(0), 1u);
  EXPECT_EQ(rm.Votes("e1")["a"], 1u);
}

// Records the offsets the processor hands its state: a DynamoDB state tells a replay's own
// ledger rows from prior votes by them (ports/processor_state.h).
class RecordingState final : public ProcessorState {
 public:
  explicit RecordingState(ProcessorState& inner) : inner_(inner) {}
  Result<uint64_t> NextOffset(uint32_t p) override { return inner_.NextOffset(p); }
  Result<PartitionState> Load(uint32_t p) override { return inner_.Load(p); }
  Result<std::vector<PriorVotes>> CountedVotes(uint32_t p, uint64_t from,
                                               const std::vector<VoterKey>& keys) override {
    lookups.emplace_back(p, from);
    return inner_.CountedVotes(p, from, keys);
  }
  Status Commit(const PartitionCommit& c) override {
    commits.emplace_back(c.from_offset, c.next_offset);
    return inner_.Commit(c);
  }
  std::vector<std::pair<uint32_t, uint64_t>> lookups;  // (partition, from)
  std::vector<std::pair<uint64_t, uint64_t>> commits;  // (from_offset, next_offset)

 private:
  ProcessorState& inner_;
};

TEST_F(ProcessorTest, EachBatchNamesTheCommittedOffsetItBuildsOn) {
  memory::MemoryLog log3{3};
  const uint32_t p = PartitionFor("e1", "v0", 3);
  int in_p = 0;
  for (int i = 0; i < 100 && in_p < 2; ++i) {  // two voters of partition p, after others
    std::string voter = "v" + std::to_string(i);
    in_p += PartitionFor("e1", voter, 3) == p;
    log3.Append({"id" + std::to_string(i), "e1", "a", voter, 150, "n"}, [](Status) {});
  }
  ASSERT_EQ(in_p, 2);
  RecordingState rec(state);
  PartitionProcessor proc(p, log3, rec, catalog, rm, /*max_batch=*/1);
  ASSERT_TRUE(proc.Step(std::chrono::milliseconds(0)).ok());
  state.fail_commits = true;  // the second batch fails: its retry builds on the same offset
  EXPECT_FALSE(proc.Step(std::chrono::milliseconds(0)).ok());
  state.fail_commits = false;
  ASSERT_TRUE(proc.Step(std::chrono::milliseconds(0)).ok());
  ASSERT_EQ(rec.lookups.size(), 3u);
  ASSERT_EQ(rec.commits.size(), 3u);
  for (const auto& [part, from] : rec.lookups) EXPECT_EQ(part, p);
  EXPECT_EQ(rec.lookups[0].second, 0u);
  EXPECT_EQ(rec.commits[0].first, 0u);
  const uint64_t second = rec.commits[0].second;
  EXPECT_GT(second, 0u);
  EXPECT_EQ(rec.lookups[1].second, second);
  EXPECT_EQ(rec.commits[1].first, second);
  EXPECT_EQ(rec.lookups[2].second, second) << "the retry decides from the committed offset";
  EXPECT_EQ(rec.commits[2].first, second);
  EXPECT_GT(rec.commits[2].second, second);
}

// A process's cached catalog that lags the store: Get answers from `stale` (an election absent
// from it is unknown), GetFresh reads the store.
class LaggingCatalog final : public Catalog {
 public:
  explicit LaggingCatalog(Catalog& store) : store_(store) {}
  Status Create(const Election& e) override { return store_.Create(e); }
  Status Update(const Election& e) override { return store_.Update(e); }
  Result<std::shared_ptr<const Election>> Get(std::string_view id) override {
    auto it = stale.find(std::string(id));
    if (it == stale.end()) return Status(Code::kNotFound, "not in the cache yet");
    return std::make_shared<const Election>(it->second);
  }
  std::vector<std::shared_ptr<const Election>> List() override { return {}; }
  Result<std::shared_ptr<const Election>> GetFresh(std::string_view id) override {
    ++fresh_reads;
    if (store_down) return Status(Code::kUnavailable, "catalog store unreachable");
    return store_.Get(id);
  }
  std::map<std::string, Election> stale;
  bool store_down = false;
  int fresh_reads = 0;

 private:
  Catalog& store_;
};

TEST_F(ProcessorTest, ACatalogCacheBehindTheStoreDoesNotRejectVotesIngestAdmitted) {
  LaggingCatalog lagging(catalog);
  Vote("v1", "alice", "a");  // e1 was created and opened by another process: not cached yet
  PartitionProcessor p(0, log, state, lagging, rm);
  ASSERT_TRUE(p.Step(std::chrono::milliseconds(0)).ok());
  EXPECT_EQ(state.outcomes["v1"], Outcome::kCounted);
  // Cached as the draft it was before its open: read fresh too.
  Election draft = **catalog.Get("e1");
  draft.status = ElectionStatus::kDraft;
  lagging.stale.emplace("e1", draft);
  Vote("v2", "bob", "b");
  ASSERT_TRUE(p.Step(std::chrono::milliseconds(0)).ok());
  EXPECT_EQ(state.outcomes["v2"], Outcome::kCounted);
  EXPECT_EQ(lagging.fresh_reads, 2) << "once per election and batch";
  // An election nobody has: rejected, as before.
  Vote("v3", "carol", "a", 150, "nope");
  ASSERT_TRUE(p.Step(std::chrono::milliseconds(0)).ok());
  EXPECT_EQ((*state.FindReceipt("v3"))->reason, kReasonUnknownElection);
}

TEST_F(ProcessorTest, ACatalogThatCannotBeReadFreshHoldsTheBatchBack) {
  LaggingCatalog lagging(catalog);
  lagging.stale.emplace("e1", **catalog.Get("e1"));
  Election e2{"e2", "T", {{"a", "A"}}, ElectionStatus::kDraft, 0, 0, 0};
  ASSERT_TRUE(OpenElection(e2, 100).ok());
  ASSERT_TRUE(catalog.Create(e2).ok());  // not in the lagging cache
  lagging.store_down = true;
  Vote("v1", "alice", "a");  // counted before the batch stops at v2
  Vote("v2", "bob", "a", 150, "e2");
  PartitionProcessor p(0, log, state, lagging, rm);
  EXPECT_EQ(p.Step(std::chrono::milliseconds(0)).status().code(), Code::kUnavailable);
  EXPECT_TRUE(state.outcomes.empty()) << "not rejected for an election it could not read";
  EXPECT_EQ(*state.NextOffset(0), 0u);
  lagging.store_down = false;
  ASSERT_TRUE(p.Step(std::chrono::milliseconds(0)).ok());
  EXPECT_EQ(state.outcomes["v1"], Outcome::kCounted);
  EXPECT_EQ(state.outcomes["v2"], Outcome::kCounted);
  EXPECT_EQ(rm.Votes("e1")["a"], 1u) << "the stopped batch's count is not kept";
  EXPECT_EQ(state.Load(0)->tally.elections["e1"]["a"], 1u);
}

TEST_F(ProcessorTest, RestartResumesFromCommittedStateAndRepublishes) {
  Vote("v1", "alice", "a");
  {
    PartitionProcessor p(0, log, state, catalog, rm);
    ASSERT_TRUE(p.Step(std::chrono::milliseconds(0)).ok());
  }
  Vote("v2", "alice", "b");
  Vote("v3", "bob", "a");
  memory::MemoryReadModel fresh;
  PartitionProcessor p(0, log, state, catalog, fresh);
  ASSERT_TRUE(p.Step(std::chrono::milliseconds(0)).ok());
  EXPECT_EQ(state.outcomes["v2"], Outcome::kDuplicate);
  EXPECT_EQ(fresh.Votes("e1")["a"], 2u);
  EXPECT_EQ(fresh.Votes("e1").count("b"), 0u);
}

TEST_F(ProcessorTest, VotesBehindTheSealAreRejectedClosed) {
  Election e = **catalog.Get("e1");
  ASSERT_TRUE(CloseElection(e, 200).ok());
  ASSERT_TRUE(catalog.Update(e).ok());
  Vote("v1", "alice", "a", 150);  // ahead of the seal: admitted before the close, counted
  log.AppendSeal({"e1", 200}, [](Status) {});
  Vote("v3", "carol", "a", 199);  // behind the seal (another node's vote): closed
  PartitionProcessor p(0, log, state, catalog, rm);
  ASSERT_TRUE(p.Step(std::chrono::milliseconds(0)).ok());
  EXPECT_EQ(state.outcomes["v1"], Outcome::kCounted);
  EXPECT_EQ(state.outcomes["v3"], Outcome::kRejected);
  EXPECT_EQ(state.Load(0)->sealed.count("e1"), 1u);
  // After a restart the seal is remembered.
  Vote("v4", "dave", "a", 199);
  PartitionProcessor again(0, log, state, catalog, rm);
  ASSERT_TRUE(again.Step(std::chrono::milliseconds(0)).ok());
  EXPECT_EQ(state.outcomes["v4"], Outcome::kRejected);
  EXPECT_EQ((*state.FindReceipt("v4"))->reason, kReasonElectionClosed);
  EXPECT_EQ(rm.Votes("e1")["a"], 1u);
}

// One batch with two elections' votes interleaved, each with its own votes_per_voter, and the
// seal of one of them in the middle: the batch decides each vote by its own election's policy and
// seal (the processor looks each election up once per batch, and a seal met mid-batch must reach
// the votes after it).
TEST_F(ProcessorTest, ABatchOfTwoElectionsDecidesEachByItsOwnPolicyAndSeal) {
  Election e2{"e2", "T2", {{"x", "X"}, {"y", "Y"}}, ElectionStatus::kDraft, 0, 0, 0};
  e2.votes_per_voter = 2;
  ASSERT_TRUE(OpenElection(e2, 100).ok());
  ASSERT_TRUE(catalog.Create(e2).ok());
  Election e1 = **catalog.Get("e1");
  ASSERT_TRUE(CloseElection(e1, 200).ok());
  ASSERT_TRUE(catalog.Update(e1).ok());
  Vote("v1", "alice", "a", 150, "e1");
  Vote("v2", "alice", "x", 150, "e2");
  Vote("v3", "alice", "b", 150, "e1");  // e1 counts one per voter: duplicate
  Vote("v4", "alice", "y", 150, "e2");  // e2 counts two: counted
  log.AppendSeal({"e1", 200}, [](Status) {});
  Vote("v5", "bob", "a", 199, "e1");    // behind e1's seal: closed
  Vote("v6", "bob", "x", 199, "e2");    // e2 is not sealed: counted
  Vote("v7", "alice", "x", 199, "e2");  // alice's third in e2: duplicate
  Vote("v8", "carol", "b", 199, "e1");  // behind e1's seal: closed
  PartitionProcessor p(0, log, state, catalog, rm);
  ASSERT_EQ(*p.Step(std::chrono::milliseconds(0)), 9u);  // one batch
  EXPECT_EQ(state.outcomes["v1"], Outcome::kCounted);
  EXPECT_EQ(state.outcomes["v2"], Outcome::kCounted);
  EXPECT_EQ(state.outcomes["v3"], Outcome::kDuplicate);
  EXPECT_EQ(state.outcomes["v4"], Outcome::kCounted);
  EXPECT_EQ(state.outcomes["v5"], Outcome::kRejected);
  EXPECT_EQ((*state.FindReceipt("v5"))->reason, kReasonElectionClosed);
  EXPECT_EQ(state.outcomes["v6"], Outcome::kCounted);
  EXPECT_EQ(state.outcomes["v7"], Outcome::kDuplicate);
  EXPECT_EQ(state.outcomes["v8"], Outcome::kRejected);
  EXPECT_EQ(rm.Votes("e1")["a"], 1u);
  EXPECT_EQ(rm.Votes("e1")["b"], 0u);
  EXPECT_EQ(rm.Votes("e2")["x"], 2u);
  EXPECT_EQ(rm.Votes("e2")["y"], 1u);
}

// The wall clock steps back between the votes and the close: the close's closed_at is before
// some votes' ingest times, and one vote's ingest time is even before opened_at. Ingest admitted
// every vote ahead of the seal while the election was open, so each of them counts, and the fate
// is the same whether the processor meets the vote live (election open in the catalog) or only
// after the close (as the recount's replay does).
TEST_F(ProcessorTest, ClockStepBackChangesNoFateLiveOrAfterTheClose) {
  Vote("v1", "alice", "a", 500);
  Vote("v2", "bob", "b", 900);
  Vote("v3", "carol", "a", 50);  // the clock stepped back past opened_at (100)
  PartitionProcessor live(0, log, state, catalog, rm);
  ASSERT_TRUE(live.Step(std::chrono::milliseconds(0)).ok());
  Election e = **catalog.Get("e1");
  ASSERT_TRUE(CloseElection(e, 300).ok());  // the close reads the stepped-back clock
  ASSERT_TRUE(catalog.Update(e).ok());
  Vote("v4", "dave", "b", 800);  // admitted before the close, processed after it
  log.AppendSeal({"e1", 300}, [](Status) {});
  Vote("v5", "erin", "a", 200);  // behind the seal (another node's): closed, whatever its time
  ASSERT_TRUE(live.Step(std::chrono::milliseconds(0)).ok());

  memory::MemoryProcessorState after_state;
  memory::MemoryReadModel after_rm;
  PartitionProcessor after(0, log, after_state, catalog, after_rm);
  ASSERT_TRUE(after.Step(std::chrono::milliseconds(0)).ok());

  for (auto* st : {&state, &after_state}) {
    for (const char* id : {"v1", "v2", "v3", "v4"}) {
      EXPECT_EQ(st->outcomes[id], Outcome::kCounted) << id;
    }
    EXPECT_EQ(st->outcomes["v5"], Outcome::kRejected);
    EXPECT_EQ((*st->FindReceipt("v5"))->reason, kReasonElectionClosed);
  }
  OptionCounts expected{{"a", 2}, {"b", 2}};
  EXPECT_EQ(rm.Votes("e1"), expected);
  EXPECT_EQ(after_rm.Votes("e1"), expected);
}

// A log entry no ingest could have admitted: its election was never opened.
TEST_F(ProcessorTest, VoteForAnElectionNeverOpenedIsRejectedNotOpen) {
  ASSERT_TRUE(catalog.Create({"draft", "T", {{"a", "A"}}, ElectionStatus::kDraft, 0, 0, 0}).ok());
  Vote("v1", "alice", "a", 150, "draft");
  PartitionProcessor p(0, log, state, catalog, rm);
  ASSERT_TRUE(p.Step(std::chrono::milliseconds(0)).ok());
  EXPECT_EQ(state.outcomes["v1"], Outcome::kRejected);
  EXPECT_EQ((*state.FindReceipt("v1"))->reason, kReasonElectionNotOpen);
}

TEST_F(ProcessorTest, ReadModelFailureDoesNotStopCounting) {
  rm.fail_applies = true;
  Vote("v1", "alice", "a");
  PartitionProcessor p(0, log, state, catalog, rm);
  ASSERT_TRUE(p.Step(std::chrono::milliseconds(0)).ok());
  EXPECT_EQ(state.outcomes["v1"], Outcome::kCounted);
  EXPECT_EQ(*state.NextOffset(0), 1u);
}

// A log that hands out one entry per read, as a Kafka consumer returns what one fetch brought
// while more is durable behind it.
class DribbleLog final : public LogReader {
 public:
  explicit DribbleLog(memory::MemoryLog& log) : log_(log) {}
  Result<std::vector<LogEntry>> Read(uint32_t partition, uint64_t from, size_t,
                                     std::chrono::milliseconds wait) override {
    return log_.Read(partition, from, 1, wait);
  }
  Result<uint64_t> EndOffset(uint32_t partition) override { return log_.EndOffset(partition); }
  std::optional<uint64_t> KnownEndOffset(uint32_t partition) override {
    return log_.KnownEndOffset(partition);
  }

 private:
  memory::MemoryLog& log_;
};

// The lag (docs/architecture.md §4, "stale") counts from the last read after which everything
// the log held when it began was counted: a short read with a backlog behind it is no catch-up.
TEST_F(ProcessorTest, AShortReadWithABacklogBehindItIsNoCatchUp) {
  Vote("v1", "alice", "a");
  Vote("v2", "bob", "a");
  Vote("v3", "carol", "b");
  DribbleLog dribble(log);
  PartitionProcessor p(0, dribble, state, catalog, rm);
  const int64_t built = SteadyNowMs();
  while (SteadyNowMs() < built + 60) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_EQ(*p.Step(std::chrono::milliseconds(0)), 1u);  // 1 of 3: still behind
  ASSERT_EQ(*p.Step(std::chrono::milliseconds(0)), 1u);
  EXPECT_GE(p.lag_ms(), 60) << "a backlog remains: the lag still counts from the start";
  ASSERT_EQ(*p.Step(std::chrono::milliseconds(0)), 1u);  // the last one: caught up
  EXPECT_LT(p.lag_ms(), SteadyNowMs() - built) << "caught up at the last read's start";
  EXPECT_EQ(p.stats().counted, 3u);
}

}  // namespace
}  // namespace urna
