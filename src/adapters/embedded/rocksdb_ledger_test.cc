// EmbeddedLedger's receipts through their whole life: written pending with the vote by the real
// vote log, resolved through the ledger row once counted, replaced once judged a duplicate,
// and kept across a reopen. The receipt a voter reads is never "counted" for a vote that is not.
#include "adapters/embedded/rocksdb_ledger.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <future>

#include "adapters/embedded/rocksdb_processor_state.h"
#include "adapters/embedded/rocksdb_vote_log.h"
#include "adapters/embedded/test_dir.h"
#include "core/partition.h"

namespace urna::embedded {
namespace {

Status AppendSync(VoteLog& log, VoteEvent v) {
  std::promise<Status> p;
  log.Append(std::move(v), [&p](Status s) { p.set_value(s); });
  return p.get_future().get();
}

// The log entry of `vote_id` (the processor judges entries, not bare votes).
LogEntry EntryOf(EmbeddedVoteLog& log, const VoteEvent& v) {
  uint32_t p = PartitionFor(v.election_id, v.voter_id, log.partitions());
  auto entries = log.Read(p, 0, 1000, std::chrono::milliseconds(0));
  for (auto& e : *entries) {
    if (e.vote.vote_id == v.vote_id) return e;
  }
  ADD_FAILURE() << v.vote_id << " is not in the log";
  return {};
}

Status Commit(EmbeddedProcessorState& st, const LogEntry& e, Outcome o,
              std::string counted_vote_id = "") {
  PartitionCommit c;
  c.partition = e.partition;
  c.next_offset = e.offset + 1;
  c.votes.push_back({e, o, "", std::move(counted_vote_id)});
  return st.Commit(c);
}

class EmbeddedLedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = EmbeddedDb::Open(dir.str(), 2);
    ASSERT_TRUE(d.ok()) << d.status().message();
    db = std::move(*d);
    log = std::make_unique<EmbeddedVoteLog>(*db);
  }
  // Through the port's look-up (a pending vote is found only with its election and voter).
  Receipt Find(std::string_view election, std::string_view voter, std::string_view vote_id) {
    auto r = ledger().FindReceipt(election, voter, vote_id);
    EXPECT_TRUE(r.ok()) << r.status().message();
    EXPECT_TRUE(r.ok() && r->has_value()) << vote_id << " has no receipt";
    return r.ok() && r->has_value() ? **r : Receipt{};
  }
  EmbeddedLedger ledger() { return EmbeddedLedger(*db); }

  TempDir dir;
  std::unique_ptr<EmbeddedDb> db;
  std::unique_ptr<EmbeddedVoteLog> log;
};

TEST_F(EmbeddedLedgerTest, PendingUntilCountedThenCountedThroughTheLedgerRow) {
  VoteEvent first{"vote-1", "e1", "a", "alice", 1001, "n1"};
  EXPECT_FALSE(ledger().FindReceipt("e1", "alice", "vote-1")->has_value())
      << "no receipt before the append";
  ASSERT_TRUE(AppendSync(*log, first).ok());
  Receipt r = Find("e1", "alice", "vote-1");
  EXPECT_EQ(r.outcome, Outcome::kPending);
  EXPECT_EQ(r.vote_id, "vote-1");
  EXPECT_EQ(r.election_id, "e1");
  EXPECT_EQ(r.voter_id, "alice");
  EXPECT_EQ(r.option_id, "a");
  EXPECT_EQ(r.ingest_time_ms, 1001);

  EmbeddedProcessorState st(*db);
  ASSERT_TRUE(Commit(st, EntryOf(*log, first), Outcome::kCounted).ok());
  r = Find("e1", "alice", "vote-1");
  EXPECT_EQ(r.outcome, Outcome::kCounted);
  EXPECT_EQ(r.option_id, "a");
  EXPECT_EQ((*ledger().FindCountedReceipt("e1", "alice"))->vote_id, "vote-1");

  // alice votes again: while unprocessed the new vote is pending, not "counted" because the
  // voter's ledger row exists (it holds the other vote).
  VoteEvent second{"vote-2", "e1", "b", "alice", 1002, "n1"};
  ASSERT_TRUE(AppendSync(*log, second).ok());
  r = Find("e1", "alice", "vote-2");
  EXPECT_EQ(r.outcome, Outcome::kPending);
  EXPECT_EQ(r.option_id, "b");
  ASSERT_TRUE(Commit(st, EntryOf(*log, second), Outcome::kDuplicate, "vote-1").ok());
  r = Find("e1", "alice", "vote-2");
  EXPECT_EQ(r.outcome, Outcome::kDuplicate);
  EXPECT_EQ(r.counted_vote_id, "vote-1");
  EXPECT_EQ(r.reason, "");
  EXPECT_EQ(Find("e1", "alice", "vote-1").outcome, Outcome::kCounted)
      << "the counted vote stays counted";

  // The same voter id in another election is another voter: pending, on its own.
  ASSERT_TRUE(AppendSync(*log, {"vote-3", "e2", "a", "alice", 1003, "n1"}).ok());
  EXPECT_EQ(Find("e2", "alice", "vote-3").outcome, Outcome::kPending);
}

TEST_F(EmbeddedLedgerTest, TheLedgerPortFindsAVoteOnlyForItsVoterAndElection) {
  VoteEvent v{"vote-1", "e1", "a", "alice", 1001, "n1"};
  ASSERT_TRUE(AppendSync(*log, v).ok());
  EmbeddedLedger impl(*db);
  Ledger& port = impl;  // through the port
  auto own = port.FindReceipt("e1", "alice", "vote-1");
  ASSERT_TRUE(own.ok() && own->has_value());
  EXPECT_EQ((*own)->outcome, Outcome::kPending);
  EXPECT_FALSE(port.FindReceipt("e1", "bob", "vote-1")->has_value()) << "another voter's vote";
  EXPECT_FALSE(port.FindReceipt("e2", "alice", "vote-1")->has_value()) << "another election";
  EmbeddedProcessorState st(*db);
  ASSERT_TRUE(Commit(st, EntryOf(*log, v), Outcome::kCounted).ok());
  EXPECT_EQ((*port.FindReceipt("e1", "alice", "vote-1"))->outcome, Outcome::kCounted);
  EXPECT_FALSE(port.FindReceipt("e1", "bob", "vote-1")->has_value());
}

TEST_F(EmbeddedLedgerTest, ReceiptsSurviveAReopen) {
  // Processed in log order: the counted vote first (a commit moves the processor's offset past
  // every entry before it), then one left pending.
  VoteEvent counted{"vote-c", "e1", "a", "carol", 6, "n1"};
  ASSERT_TRUE(AppendSync(*log, counted).ok());
  {
    EmbeddedProcessorState st(*db);
    ASSERT_TRUE(Commit(st, EntryOf(*log, counted), Outcome::kCounted).ok());
  }
  ASSERT_TRUE(AppendSync(*log, {"vote-p", "e1", "a", "bob", 5, "n1"}).ok());
  log.reset();
  db.reset();
  auto d = EmbeddedDb::Open(dir.str(), 2);
  ASSERT_TRUE(d.ok());
  db = std::move(*d);
  EXPECT_EQ(Find("e1", "bob", "vote-p").outcome, Outcome::kPending);
  EXPECT_EQ(Find("e1", "bob", "vote-p").voter_id, "bob");
  EXPECT_EQ(Find("e1", "carol", "vote-c").outcome, Outcome::kCounted);
}

TEST_F(EmbeddedLedgerTest, APendingReceiptPointingNowhereIsAnErrorNotAVote) {
  {
    auto lease = db->Use();
    ASSERT_TRUE(lease.ok());
    std::string nowhere(kLogKeySize, '\xff');  // a log key no partition reaches
    ASSERT_TRUE(db->db()->Put(rocksdb::WriteOptions(), db->receipts(), "vote-x", nowhere).ok());
  }
  auto r = ledger().FindReceipt("vote-x");
  EXPECT_EQ(r.status().code(), Code::kInternal);
}

}  // namespace
}  // namespace urna::embedded
