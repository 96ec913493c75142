// A pending vote's receipt through the log's bounded index of its recent tail (TailIndex): found
// without a scan while indexed, a bounded scan past it and 503 (kUnavailable) beyond the scan's
// limit, never "no such vote" for a vote in the log; rebuilt at open from the unprocessed tail.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "adapters/embedded/rocksdb_ledger.h"
#include "adapters/embedded/rocksdb_processor_state.h"
#include "adapters/embedded/rocksdb_vote_log.h"
#include "adapters/embedded/test_dir.h"

namespace urna::embedded {
namespace {

Status AppendSync(VoteLog& log, VoteEvent v) {
  std::promise<Status> p;
  log.Append(std::move(v), [&p](Status s) { p.set_value(s); });
  return p.get_future().get();
}

std::string VoteId(int i) { return "vote-" + std::to_string(i); }
VoteEvent Vote(int i) { return {VoteId(i), "e1", "a", "v" + std::to_string(i), 1000 + i, "n1"}; }

// Counts entries [0, n) of partition 0: each voter's first vote, counted.
Status CommitUpTo(EmbeddedVoteLog& log, EmbeddedProcessorState& st, uint64_t n) {
  auto entries = log.Read(0, 0, n, std::chrono::milliseconds(0));
  if (!entries.ok()) return entries.status();
  PartitionCommit c;
  c.partition = 0;
  c.next_offset = n;
  for (auto& e : *entries) c.votes.push_back({e, Outcome::kCounted, "", ""});
  return st.Commit(c);
}

class ReceiptIndexTest : public ::testing::Test {
 protected:
  static constexpr int kVotes = 40;
  static constexpr size_t kCapacity = 4;
  void Open() {
    auto d = EmbeddedDb::Open(dir.str(), 1);
    ASSERT_TRUE(d.ok()) << d.status().message();
    db = std::move(*d);
    log = std::make_unique<EmbeddedVoteLog>(*db, 8192, kCapacity);
  }
  void Close() {
    log.reset();
    db.reset();
  }
  void SetUp() override {
    Open();
    for (int i = 0; i < kVotes; ++i) ASSERT_TRUE(AppendSync(*log, Vote(i)).ok());
  }
  // The look-up of vote i by its voter with a scan limit.
  Result<std::optional<Receipt>> Find(int i, size_t scan_limit, std::string vote_id = "") {
    EmbeddedLedger ledger(*db, &log->tail(), scan_limit);
    return ledger.FindReceipt("e1", "v" + std::to_string(i), vote_id.empty() ? VoteId(i) : vote_id);
  }

  TempDir dir;
  std::unique_ptr<EmbeddedDb> db;
  std::unique_ptr<EmbeddedVoteLog> log;
};

TEST_F(ReceiptIndexTest, TheRecentTailIsFoundWithoutAScan) {
  EXPECT_EQ(log->tail().size(), kCapacity);
  for (int i = kVotes - static_cast<int>(kCapacity); i < kVotes; ++i) {
    auto r = Find(i, /*scan_limit=*/0);
    ASSERT_TRUE(r.ok()) << r.status().message();
    ASSERT_TRUE(r->has_value()) << i;
    EXPECT_EQ((*r)->outcome, Outcome::kPending);
  }
}

TEST_F(ReceiptIndexTest, PastTheIndexAndTheScanLimitItIsUnavailableNeverMissing) {
  // Processor stopped at 0, 40 entries, 4 indexed: vote 20 is 20 entries into the scan.
  auto r = Find(20, /*scan_limit=*/8);
  ASSERT_FALSE(r.ok()) << "a real vote past the bound must not be answered (no 404)";
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  // A wrong vote id with the long tail: 503 too, quickly (bounded by the same limit).
  r = Find(0, 8, "vote-nope");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  // Within the limit, the scan finds it pending.
  r = Find(20, 100);
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ((*r)->outcome, Outcome::kPending);
  // Once the processor is within the index's reach, a miss is a definite "no such vote".
  EmbeddedProcessorState st(*db);
  ASSERT_TRUE(CommitUpTo(*log, st, kVotes - kCapacity).ok());
  r = Find(0, 0, "vote-nope");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_FALSE(r->has_value());
  r = Find(20, 0);
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ((*r)->outcome, Outcome::kCounted);
}

TEST_F(ReceiptIndexTest, TheIndexIsRebuiltAtOpen) {
  Close();
  Open();
  EXPECT_EQ(log->tail().size(), kCapacity);
  auto r = Find(kVotes - 1, /*scan_limit=*/0);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->outcome, Outcome::kPending);
  r = Find(0, 0);
  ASSERT_FALSE(r.ok()) << "before the rebuilt index, past the scan limit: unavailable";
}

TEST_F(ReceiptIndexTest, ACommitRacingLookUpsNeverLosesTheVote) {
  // One thread commits entry by entry while another looks the last indexed vote up: it is
  // pending or counted, never missing.
  std::atomic<bool> done{false};
  std::thread committer([&] {
    EmbeddedProcessorState st(*db);
    for (uint64_t n = 1; n <= kVotes; ++n) ASSERT_TRUE(CommitUpTo(*log, st, n).ok());
    done = true;
  });
  int looks = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while ((!done || looks < 10) && std::chrono::steady_clock::now() < deadline && looks < 100000) {
    const int i = kVotes - 1 - looks % static_cast<int>(kCapacity);
    auto r = Find(i, 0);
    ASSERT_TRUE(r.ok()) << r.status().message();
    ASSERT_TRUE(r->has_value()) << VoteId(i) << " missing after " << looks << " look-ups";
    ++looks;
  }
  committer.join();
  EXPECT_TRUE(done);
}

}  // namespace
}  // namespace urna::embedded
