#include "adapters/embedded/rocksdb_processor_state.h"

#include <gtest/gtest.h>

#include "adapters/embedded/rocksdb_ledger.h"
#include "adapters/embedded/test_dir.h"

namespace urna::embedded {
namespace {

ProcessedVote Processed(std::string id, std::string voter, Outcome o, uint64_t offset) {
  return {{1, offset, {id, "e1", "a", voter, 5, "n"}, std::nullopt},
          o,
          o == Outcome::kRejected ? "unknown_option" : "",
          o == Outcome::kDuplicate ? "v0" : ""};
}

TEST(EmbeddedProcessorStateTest, CommitIsVisibleAfterReopen) {
  TempDir dir;
  {
    auto db = EmbeddedDb::Open(dir.str(), 2);
    EmbeddedProcessorState st(**db);
    PartitionCommit c;
    c.partition = 1;
    c.next_offset = 3;
    c.votes = {Processed("v0", "alice", Outcome::kCounted, 0),
               Processed("v1", "alice", Outcome::kDuplicate, 1),
               Processed("v2", "bob", Outcome::kRejected, 2)};
    c.tally.elections["e1"]["a"] = 1;
    c.seals.push_back({"e1", 77});
    ASSERT_TRUE(st.Commit(c).ok());
  }
  auto db = EmbeddedDb::Open(dir.str(), 2);
  EmbeddedProcessorState st(**db);
  EXPECT_EQ(*st.NextOffset(1), 3u);
  EXPECT_EQ(*st.NextOffset(0), 0u);
  auto loaded = st.Load(1);
  ASSERT_TRUE(loaded.ok());
  auto* t = &loaded->tally;
  EXPECT_EQ(t->next_offset, 3u);
  EXPECT_EQ(t->elections["e1"]["a"], 1u);
  EXPECT_EQ(loaded->sealed.at("e1"), 77);
  EXPECT_TRUE(st.Load(0)->tally.elections.empty());
  EXPECT_TRUE(st.Load(0)->sealed.empty());

  auto found = st.CountedVotes(0, 0, {{"e1", "alice"}, {"e1", "bob"}, {"e2", "alice"}});
  ASSERT_TRUE(found.ok());
  EXPECT_EQ((*found)[0].counted, 1u);
  EXPECT_EQ((*found)[0].first_vote_id, "v0");
  EXPECT_EQ((*found)[1].counted, 0u);
  EXPECT_EQ((*found)[2].counted, 0u);

  EmbeddedLedger ledger(**db);
  EXPECT_EQ((*ledger.FindReceipt("v1"))->outcome, Outcome::kDuplicate);
  EXPECT_EQ((*ledger.FindReceipt("v1"))->counted_vote_id, "v0");  // survives the reopen
  EXPECT_EQ((*ledger.FindReceipt("v1"))->reason, "");
  EXPECT_EQ((*ledger.FindReceipt("v2"))->reason, "unknown_option");
  EXPECT_EQ((*ledger.FindCountedReceipt("e1", "alice"))->vote_id, "v0");
  int n = 0;
  ASSERT_TRUE(ledger
                  .ScanCounted("e1",
                               [&](const Receipt& r) {
                                 ++n;
                                 return true;
                               })
                  .ok());
  EXPECT_EQ(n, 1);
}

// policy: with votes_per_voter N the ledger holds one row per counted vote; the voter's count
// is read back from their rows (as durable as the offset, one WriteBatch), and each later counted
// vote has its own receipt.
// The ledger rows of a commit are put in key order; two rows under the same key (the same voter
// and ordinal) keep their log order, so the later one is what the ledger holds, as if they had
// been put one after the other. Many rows, so the sort is not a short insertion sort.
TEST(EmbeddedProcessorStateTest, RowsUnderOneKeyInACommitKeepLogOrder) {
  TempDir dir;
  auto db = EmbeddedDb::Open(dir.str(), 2);
  EmbeddedProcessorState st(**db);
  PartitionCommit c;
  c.partition = 1;
  const int n = 200;
  for (int i = 0; i < n; ++i) {
    std::string voter = i % 2 ? "alice" : "voter-" + std::to_string(i);
    c.votes.push_back(Processed("v" + std::to_string(i), voter, Outcome::kCounted, i));
  }
  c.next_offset = n;
  c.tally.elections["e1"]["a"] = n;
  ASSERT_TRUE(st.Commit(c).ok());
  EmbeddedLedger ledger(**db);
  auto row = ledger.FindCountedReceipt("e1", "alice");
  ASSERT_TRUE(row.ok());
  ASSERT_TRUE(row->has_value());
  EXPECT_EQ((*row)->vote_id, "v" + std::to_string(n - 1));
}

TEST(EmbeddedProcessorStateTest, AVoterWithSeveralCountedVotesHasOneRowEach) {
  TempDir dir;
  auto db = EmbeddedDb::Open(dir.str(), 2);
  EmbeddedProcessorState st(**db);
  PartitionCommit c;
  c.partition = 0;
  c.next_offset = 4;
  for (uint64_t i = 0; i < 3; ++i) {
    auto pv = Processed("v" + std::to_string(i), "alice", Outcome::kCounted, i);
    pv.ordinal = i + 1;
    c.votes.push_back(pv);
  }
  // A voter whose id extends alice's: their rows must not be taken for alice's.
  auto other = Processed("w0", "alice.b", Outcome::kCounted, 3);
  c.votes.push_back(other);
  c.tally.elections["e1"]["a"] = 4;
  ASSERT_TRUE(st.Commit(c).ok());

  auto found = st.CountedVotes(0, 4,
                               {{"e1", "alice", true},
                                {"e1", "alice", false},
                                {"e1", "alice.b", true},
                                {"e1", "bob", true}});
  ASSERT_TRUE(found.ok());
  EXPECT_EQ((*found)[0].counted, 3u);
  EXPECT_EQ((*found)[0].first_vote_id, "v0");
  EXPECT_EQ((*found)[1].counted, 1u);  // without `many`: whether any counts
  EXPECT_EQ((*found)[2].counted, 1u);
  EXPECT_EQ((*found)[3].counted, 0u);

  EmbeddedLedger ledger(**db);
  EXPECT_EQ((*ledger.FindCountedReceipt("e1", "alice"))->vote_id, "v0");
  // The first vote's receipt is its pending pointer (written by the log, not here) resolved
  // through the first row; the later ones have their own.
  for (int i = 1; i < 3; ++i) {
    auto r = ledger.FindReceipt("e1", "alice", "v" + std::to_string(i));
    ASSERT_TRUE(r.ok() && r->has_value()) << i;
    EXPECT_EQ((*r)->outcome, Outcome::kCounted) << i;
  }
  int rows = 0;
  ASSERT_TRUE(ledger.ScanCounted("e1", [&](const Receipt&) { return ++rows, true; }).ok());
  EXPECT_EQ(rows, 4);
}

// A batch's look-ups go to RocksDB in slices (CountedVotes), and its ledger rows are put in key
// order (Commit): a large batch, its voters committed out of key order and looked up again with
// voters who never voted between them, finds exactly the counted ones, each at its own place.
TEST(EmbeddedProcessorStateTest, ALargeBatchFindsEachVoterAtItsPlace) {
  TempDir dir;
  auto db = EmbeddedDb::Open(dir.str(), 2);
  EmbeddedProcessorState st(**db);
  PartitionCommit c;
  c.partition = 0;
  c.next_offset = 70;
  for (uint64_t i = 0; i < 70; ++i) {  // voter ids in reverse key order, v<i> for voter-<69-i>
    c.votes.push_back(Processed("v" + std::to_string(i), "voter-" + std::to_string(69 - i),
                                Outcome::kCounted, i));
  }
  c.tally.elections["e1"]["a"] = 70;
  ASSERT_TRUE(st.Commit(c).ok());
  std::vector<VoterKey> keys;  // voter-0..voter-69 voted, voter-70..voter-104 did not
  for (int i = 0; i < 105; ++i) keys.push_back({"e1", "voter-" + std::to_string(i)});
  auto found = st.CountedVotes(0, 70, keys);
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), keys.size());
  for (int i = 0; i < 105; ++i) {
    if (i < 70) {
      EXPECT_EQ((*found)[i].counted, 1u) << i;
      EXPECT_EQ((*found)[i].first_vote_id, "v" + std::to_string(69 - i)) << i;
    } else {
      EXPECT_EQ((*found)[i].counted, 0u) << i;
    }
  }
  int rows = 0;
  ASSERT_TRUE(
      EmbeddedLedger(**db).ScanCounted("e1", [&](const Receipt&) { return ++rows, true; }).ok());
  EXPECT_EQ(rows, 70);
}

// A voter's count is found by probing their next rows, then by a seek past a few probes: every
// count from 0 to past the probes reads back exactly.
TEST(EmbeddedProcessorStateTest, EachCountOfVotesReadsBackExactly) {
  TempDir dir;
  auto db = EmbeddedDb::Open(dir.str(), 2);
  EmbeddedProcessorState st(**db);
  PartitionCommit c;
  c.partition = 0;
  uint64_t offset = 0;
  for (uint64_t voter = 0; voter <= 7; ++voter) {  // voter-<k> has k counted votes
    for (uint64_t k = 1; k <= voter; ++k) {
      auto pv = Processed("v" + std::to_string(offset), "voter-" + std::to_string(voter),
                          Outcome::kCounted, offset);
      pv.ordinal = k;
      c.votes.push_back(pv);
      ++offset;
    }
  }
  c.next_offset = offset;
  ASSERT_TRUE(st.Commit(c).ok());
  std::vector<VoterKey> keys;
  for (int voter = 7; voter >= 0; --voter)
    keys.push_back({"e1", "voter-" + std::to_string(voter), true});
  auto found = st.CountedVotes(0, offset, keys);
  ASSERT_TRUE(found.ok());
  for (size_t i = 0; i < keys.size(); ++i) EXPECT_EQ((*found)[i].counted, 7 - i) << i;
}

}  // namespace
}  // namespace urna::embedded
