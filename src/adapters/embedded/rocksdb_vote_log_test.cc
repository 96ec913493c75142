#include "adapters/embedded/rocksdb_vote_log.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <future>
#include <memory>
#include <thread>

#include "adapters/embedded/rocksdb_ledger.h"
#include "adapters/embedded/test_dir.h"
#include "core/partition.h"

namespace urna::embedded {
namespace {

VoteEvent Vote(int i) {
  return {"vote-" + std::to_string(i), "e1", "a", "voter-" + std::to_string(i), 1000 + i, "n1"};
}

// Appends and waits for the durable acknowledgement.
Status AppendSync(VoteLog& log, VoteEvent v) {
  std::promise<Status> p;
  log.Append(std::move(v), [&p](Status s) { p.set_value(s); });
  return p.get_future().get();
}

TEST(EmbeddedVoteLogTest, AcknowledgedVotesSurviveReopenInOrder) {
  TempDir dir;
  {
    auto db = EmbeddedDb::Open(dir.str(), 4);
    ASSERT_TRUE(db.ok());
    EmbeddedVoteLog log(**db);
    for (int i = 0; i < 50; ++i) ASSERT_TRUE(AppendSync(log, Vote(i)).ok());
  }
  auto db = EmbeddedDb::Open(dir.str(), 99);  // an existing data dir keeps its partition count
  ASSERT_TRUE(db.ok());
  EXPECT_EQ((*db)->partitions(), 4u);
  EmbeddedVoteLog log(**db);
  size_t total = 0;
  for (uint32_t p = 0; p < 4; ++p) {
    auto entries = log.Read(p, 0, 1000, std::chrono::milliseconds(0));
    ASSERT_TRUE(entries.ok());
    for (size_t i = 0; i < entries->size(); ++i) {
      const auto& e = (*entries)[i];
      EXPECT_EQ(e.offset, i);
      EXPECT_EQ(PartitionFor(e.vote.election_id, e.vote.voter_id, 4), p);
      if (i > 0) {
        EXPECT_LT((*entries)[i - 1].vote.ingest_time_ms, e.vote.ingest_time_ms);
      }
    }
    total += entries->size();
    EXPECT_EQ(log.end_offset(p), entries->size());  // recovered end offsets
  }
  EXPECT_EQ(total, 50u);
  // New appends continue after the recovered ends.
  ASSERT_TRUE(AppendSync(log, Vote(50)).ok());
  uint32_t p = PartitionFor("e1", "voter-50", 4);
  auto tail = log.Read(p, log.end_offset(p) - 1, 10, std::chrono::milliseconds(0));
  ASSERT_EQ(tail->size(), 1u);
  EXPECT_EQ((*tail)[0].vote.vote_id, "vote-50");
}

TEST(EmbeddedVoteLogTest, ConcurrentAppendsShareFsyncs) {
  TempDir dir;
  auto db = EmbeddedDb::Open(dir.str(), 8);
  ASSERT_TRUE(db.ok());
  EmbeddedVoteLog log(**db);
  constexpr int kThreads = 8, kPer = 500;
  std::atomic<int> acked{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::future<void>> waits;
      for (int i = 0; i < kPer; ++i) {
        auto p = std::make_shared<std::promise<void>>();
        waits.push_back(p->get_future());
        log.Append(Vote(t * kPer + i), [&, p](Status s) {
          if (s.ok()) ++acked;
          p->set_value();
        });
      }
      for (auto& w : waits) w.get();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(acked, kThreads * kPer);
  auto st = log.stats();
  EXPECT_EQ(st.votes, uint64_t{kThreads * kPer});
  EXPECT_LT(st.batches, st.votes / 4) << "appends in flight together must share an fsync";
}

// A vote is answered only once the fsync that covers it has made it readable (end_offset:
// what the processor may read), never before, and Drain returns once every vote appended is
// written, synced and answered.
TEST(EmbeddedVoteLogTest, AVoteIsReadableWhenItIsAnsweredAndDrainWaitsForIt) {
  TempDir dir;
  auto db = EmbeddedDb::Open(dir.str(), 4);
  ASSERT_TRUE(db.ok());
  EmbeddedVoteLog log(**db);
  constexpr int kThreads = 4, kPer = 50;
  std::atomic<int> answered{0}, readable{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPer; ++i) {
        VoteEvent v = Vote(t * kPer + i);
        const uint32_t part = PartitionFor(v.election_id, v.voter_id, log.partitions());
        log.Append(v, [&log, &answered, &readable, part, id = v.vote_id](Status s) {
          if (!s.ok()) return;
          // Within the readable range of its partition when answered: the processor may read
          // what the voter was told is recorded.
          auto entries = log.Read(part, 0, 1'000'000, std::chrono::milliseconds(0));
          if (entries.ok()) {
            for (const auto& e : *entries) {
              if (e.vote.vote_id == id) {
                ++readable;
                break;
              }
            }
          }
          ++answered;
        });
      }
    });
  }
  for (auto& t : threads) t.join();
  log.Drain();  // returns once every vote appended is written, synced and answered
  EXPECT_EQ(answered, kThreads * kPer);
  EXPECT_EQ(readable, kThreads * kPer);
  EXPECT_EQ(log.stats().votes, uint64_t{kThreads * kPer});
}

TEST(EmbeddedVoteLogTest, OneKeyPerVoteAndTheEntryIsItsPendingReceipt) {
  TempDir dir;
  auto db = EmbeddedDb::Open(dir.str(), 2);
  EmbeddedVoteLog log(**db);
  EmbeddedLedger ledger(**db);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(AppendSync(log, Vote(i)).ok());
  auto r = ledger.FindReceipt("e1", "voter-7", "vote-7");
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ((*r)->outcome, Outcome::kPending);
  EXPECT_EQ((*r)->voter_id, "voter-7");
  EXPECT_EQ((*r)->option_id, "a");
  EXPECT_FALSE(ledger.FindReceipt("e1", "voter-6", "vote-7")->has_value()) << "not theirs";
  EXPECT_FALSE(ledger.FindReceipt("e1", "voter-7", "vote-70")->has_value()) << "no such vote";
  // The vote's one write: nothing but log entries (a memtable insert per vote, not two).
  auto lease = (*db)->Use();
  ASSERT_TRUE(lease.ok());
  std::unique_ptr<rocksdb::Iterator> it(
      (*db)->db()->NewIterator(rocksdb::ReadOptions(), (*db)->receipts()));
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid()) << "a receipt row written with the vote";
}

TEST(EmbeddedVoteLogTest, SealGoesIntoEveryPartitionAfterEarlierVotes) {
  TempDir dir;
  auto db = EmbeddedDb::Open(dir.str(), 4);
  EmbeddedVoteLog log(**db);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(AppendSync(log, Vote(i)).ok());
  std::promise<Status> sealed;
  log.AppendSeal({"e1", 4242}, [&](Status s) { sealed.set_value(s); });
  ASSERT_TRUE(sealed.get_future().get().ok());
  for (uint32_t p = 0; p < 4; ++p) {
    auto entries = log.Read(p, 0, 1000, std::chrono::milliseconds(0));
    ASSERT_TRUE(entries.ok());
    ASSERT_FALSE(entries->empty());
    const auto& last = entries->back();
    ASSERT_TRUE(last.seal.has_value()) << "partition " << p;
    EXPECT_EQ(last.seal->election_id, "e1");
    EXPECT_EQ(last.seal->closed_at_ms, 4242);
    for (size_t i = 0; i + 1 < entries->size(); ++i) EXPECT_FALSE((*entries)[i].seal);
  }
}

TEST(EmbeddedVoteLogTest, DrainRefusesNewAppends) {
  TempDir dir;
  auto db = EmbeddedDb::Open(dir.str(), 2);
  EmbeddedVoteLog log(**db);
  ASSERT_TRUE(AppendSync(log, Vote(1)).ok());
  log.Drain();
  EXPECT_EQ(AppendSync(log, Vote(2)).code(), Code::kUnavailable);
}

TEST(EmbeddedVoteLogTest, ReadWaitsForNewEntries) {
  TempDir dir;
  auto db = EmbeddedDb::Open(dir.str(), 1);
  EmbeddedVoteLog log(**db);
  auto reader =
      std::async(std::launch::async, [&] { return log.Read(0, 0, 10, std::chrono::seconds(10)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(AppendSync(log, Vote(1)).ok());
  auto got = reader.get();
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->size(), 1u);
}

}  // namespace
}  // namespace urna::embedded
