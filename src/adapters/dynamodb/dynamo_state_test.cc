// DynamoProcessorState, DynamoLedger and CheckpointReadModel against dynalite: exactly-once
// effects without transactions. A replay of a committed batch changes nothing; a crash between a
// batch's ledger puts and its checkpoint, then the replay, counts each vote once (never as a
// duplicate of itself); a zombie behind the stored offset fails and changes nothing; a voter's
// second vote in a later batch is a duplicate; a checkpoint whose answer was lost is found as
// this processor's own write; receipts (counted, duplicate, rejected, pending, 404); the ledger
// scan in voter order; results summed over the partitions' checkpoints.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <functional>
#include <thread>

#include "adapters/dynamodb/dynamo_checkpoint_read_model.h"
#include "adapters/dynamodb/dynamo_ledger.h"
#include "adapters/dynamodb/dynamo_processor_state.h"
#include "adapters/dynamodb/test_servers.h"
#include "adapters/memory/memory_catalog.h"
#include "adapters/memory/memory_read_model.h"
#include "adapters/memory/memory_vote_log.h"
#include "core/partition.h"
#include "core/uuid7.h"
#include "processor/partition_processor.h"

namespace urna::dynamodb {
namespace {

using std::chrono::milliseconds;

// Polls `cond` every 10 ms until it holds or 10 s pass.
bool WaitFor(const std::function<bool()>& cond) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!cond()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return true;
}

// A client whose requests to one table fail (kUnavailable) while `fail` is set, as a processor
// that dies before that step would leave it: the real client otherwise.
class TableFailingClient final : public DynamoClient {
 public:
  TableFailingClient(DynamoClient& inner, std::string table)
      : inner_(inner), needle_("\"TableName\":\"" + table + "\"") {}
  Result<std::string> Call(const DynamoRequest& r) override {
    if (Fails(r)) return Status(Code::kUnavailable, "injected: process died here");
    return inner_.Call(r);
  }
  std::vector<Result<std::string>> CallAll(const std::vector<DynamoRequest>& rs) override {
    std::vector<Result<std::string>> out;
    for (const auto& r : rs) out.push_back(Call(r));
    return out;
  }
  std::atomic<bool> fail{true};

 private:
  bool Fails(const DynamoRequest& r) const {
    return fail && r.body.find(needle_) != std::string::npos;
  }
  DynamoClient& inner_;
  const std::string needle_;
};

// A client through which BatchGetItem answers as a throttled DynamoDB does while `rounds` > 0:
// only the first key of each request is read, the others come back in UnprocessedKeys.
class UnprocessingClient final : public DynamoClient {
 public:
  explicit UnprocessingClient(DynamoClient& inner) : inner_(inner) {}
  Result<std::string> Call(const DynamoRequest& r) override {
    if (r.operation != "BatchGetItem" || rounds <= 0) return inner_.Call(r);
    --rounds;
    namespace json = boost::json;
    json::object req = json::parse(r.body).as_object();
    json::object& items = req["RequestItems"].as_object();
    const std::string table(items.begin()->key());
    json::object& spec = items.begin()->value().as_object();
    json::array keys = spec["Keys"].as_array();
    json::object left = spec;
    left["Keys"] = json::array(keys.begin() + 1, keys.end());
    spec["Keys"] = json::array{keys[0]};
    auto res = inner_.Call({r.operation, json::serialize(req)});
    if (!res.ok()) return res;
    json::object out = json::parse(*res).as_object();
    if (keys.size() > 1) out["UnprocessedKeys"] = json::object{{table, left}};
    return json::serialize(out);
  }
  std::vector<Result<std::string>> CallAll(const std::vector<DynamoRequest>& rs) override {
    std::vector<Result<std::string>> out;
    for (const auto& r : rs) out.push_back(Call(r));
    return out;
  }
  std::atomic<int> rounds{0};

 private:
  DynamoClient& inner_;
};

class DynamoStateTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto d = testing::Dynalite::Start();
    ASSERT_TRUE(d.ok()) << d.status().message();
    dynalite_ = std::move(*d).release();
    auto p = testing::FaultProxy::Start(dynalite_->endpoint());
    ASSERT_TRUE(p.ok()) << p.status().message();
    proxy_ = std::move(*p).release();
  }
  static void TearDownTestSuite() {
    delete proxy_;
    proxy_ = nullptr;
    delete dynalite_;
    dynalite_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(dynalite_, nullptr);
    ASSERT_TRUE(proxy_->Reset().ok());
    client_ = Client(dynalite_->endpoint());
    tables_.prefix = testing::UniqueName("s") + "-";
    tables_.topic = "votes";
    tables_.ledger_shards = 8;
    for (const auto& spec : StateTableSpecs(tables_.prefix)) {
      auto made = EnsureTable(*client_, spec);
      ASSERT_TRUE(made.ok()) << made.status().message();
    }
    Election e{"e1", "T", {{"a", "A"}, {"b", "B"}}, ElectionStatus::kDraft, 0, 0, 0};
    ASSERT_TRUE(OpenElection(e, 100).ok());
    ASSERT_TRUE(catalog_.Create(e).ok());
  }
  static std::unique_ptr<DynamoClient> Client(const std::string& endpoint) {
    DynamoConfig c = testing::TestConfig(endpoint);
    c.max_attempts = 3;
    auto client = MakeCurlClient(c);
    EXPECT_TRUE(client.ok());
    return std::move(*client);
  }
  DynamoLedger Ledger(memory::MemoryLog* log = nullptr) {
    return DynamoLedger(*client_, tables_, log != nullptr ? log->partitions() : 1,
                        [log](uint32_t p) -> Result<uint64_t> {
                          if (log == nullptr) return uint64_t{0};
                          return log->EndOffset(p);
                        });
  }
  // The receipt of a vote, expected to exist.
  Receipt Find(DynamoLedger& ledger, const std::string& voter, const std::string& vote_id,
               const std::string& election = "e1") {
    auto r = ledger.FindReceipt(election, voter, vote_id);
    EXPECT_TRUE(r.ok()) << r.status().message();
    EXPECT_TRUE(r.ok() && r->has_value()) << vote_id << " has no receipt";
    return r.ok() && r->has_value() ? **r : Receipt{};
  }
  static void Vote(memory::MemoryLog& log, std::string id, std::string voter, std::string option,
                   std::string election = "e1") {
    log.Append({std::move(id), std::move(election), std::move(option), std::move(voter), 150, "n"},
               [](Status) {});
  }
  // Appends votes of `n` distinct voters that all land in `partition` of `log`.
  static std::vector<std::string> VotersOf(const memory::MemoryLog& log, uint32_t partition, int n,
                                           const std::string& prefix = "voter") {
    std::vector<std::string> out;
    for (int i = 0; static_cast<int>(out.size()) < n && i < 10000; ++i) {
      std::string v = prefix + std::to_string(i);
      if (PartitionFor("e1", v, log.partitions()) == partition) out.push_back(v);
    }
    return out;
  }
  // A commit built by hand: votes at consecutive offsets from `from`.
  static PartitionCommit Batch(uint32_t partition, uint64_t from,
                               std::vector<ProcessedVote> votes) {
    PartitionCommit c;
    c.partition = partition;
    c.from_offset = from;
    uint64_t o = from;
    for (auto& v : votes) {
      v.entry.partition = partition;
      v.entry.offset = o++;
    }
    c.next_offset = o;
    c.votes = std::move(votes);
    c.tally.partition = partition;
    c.tally.next_offset = o;
    return c;
  }
  static ProcessedVote Pv(std::string id, std::string voter, std::string option, Outcome outcome,
                          std::string counted = "") {
    ProcessedVote pv;
    pv.entry.vote = {std::move(id), "e1", std::move(option), std::move(voter), 150, "n"};
    pv.outcome = outcome;
    if (outcome == Outcome::kRejected) pv.reason = kReasonUnknownOption;
    pv.counted_vote_id = std::move(counted);
    return pv;
  }

  static inline testing::Dynalite* dynalite_ = nullptr;
  static inline testing::FaultProxy* proxy_ = nullptr;
  std::unique_ptr<DynamoClient> client_;
  StateTables tables_;
  memory::MemoryCatalog catalog_;
  memory::MemoryReadModel rm_;
};

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
  auto ids = other.CountedVoteIds(0, 3, {{"e1", "alice"}, {"e1", "bob"}, {"e2", "alice"}, {}});
  ASSERT_TRUE(ids.ok()) << ids.status().message();
  EXPECT_EQ((*ids)[0], "v1");
  EXPECT_FALSE((*ids)[1]);
  EXPECT_FALSE((*ids)[2]);
  EXPECT_FALSE((*ids)[3]) << "a seal entry has no voter";

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
  auto ids = st.CountedVoteIds(0, 0, {{"e1", "alice"}});
  ASSERT_TRUE(ids.ok() && !(*ids)[0]);
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
  auto ids = st.CountedVoteIds(0, 150, keys);
  ASSERT_TRUE(ids.ok()) << ids.status().message();
  EXPECT_EQ(throttled.rounds, 0);
  for (int i = 0; i < 150; ++i) EXPECT_EQ((*ids)[i], "id-v" + std::to_string(i));
  throttled.rounds = 1000;  // never done: a bounded number of rounds, then unavailable
  EXPECT_EQ(st.CountedVoteIds(0, 150, keys).status().code(), Code::kUnavailable);
}

TEST_F(DynamoStateTest, ResultsAreTheSumOfThePartitionsCheckpoints) {
  SystemClock clock;
  CheckpointReadModel results(*client_, tables_, clock, milliseconds(20));
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
