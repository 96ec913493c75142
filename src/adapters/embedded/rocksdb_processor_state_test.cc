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

  auto found = st.CountedVoteIds(0, 0, {{"e1", "alice"}, {"e1", "bob"}, {"e2", "alice"}});
  ASSERT_TRUE(found.ok());
  EXPECT_EQ((*found)[0], "v0");
  EXPECT_FALSE((*found)[1]);
  EXPECT_FALSE((*found)[2]);

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

}  // namespace
}  // namespace urna::embedded
