// The recount's reads of the embedded stores as views: EmbeddedLogScanner hands out what
// EmbeddedVoteLog::Read does, and EmbeddedLedger::ScanCountedViews what ScanCounted does, row
// for row, including records off the view decoders' fast path and corrupt ones.
#include "adapters/embedded/rocksdb_log_scan.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <future>
#include <string>
#include <vector>

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

class LogScanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = EmbeddedDb::Open(dir.str(), 2);
    ASSERT_TRUE(d.ok()) << d.status().message();
    db = std::move(*d);
    log = std::make_unique<EmbeddedVoteLog>(*db);
    // Voters with ASCII ids (the decoders' fast path) and others (protobuf's path).
    for (int i = 0; i < 40; ++i) {
      std::string voter = (i % 5 == 0 ? "jos\xc3\xa9-" : "voter-") + std::to_string(i);
      votes.push_back({"vote-" + std::to_string(i), i % 7 == 0 ? "e2" : "e1",
                       i % 3 == 0 ? "b" : "a", voter, 1000 + i, "n1"});
      ASSERT_TRUE(AppendSync(*log, votes.back()).ok());
    }
    std::promise<Status> sealed;
    log->AppendSeal({"e1", 4242}, [&](Status s) { sealed.set_value(s); });
    ASSERT_TRUE(sealed.get_future().get().ok());
  }

  TempDir dir;
  std::unique_ptr<EmbeddedDb> db;
  std::unique_ptr<EmbeddedVoteLog> log;
  std::vector<VoteEvent> votes;
};

TEST_F(LogScanTest, ScannerHandsOutWhatReadReturns) {
  LogScanner* scanner = log->scanner();
  ASSERT_NE(scanner, nullptr);
  size_t votes_seen = 0, seals_seen = 0;
  for (uint32_t p = 0; p < log->partitions(); ++p) {
    const uint64_t end = *log->EndOffset(p);
    auto read = log->Read(p, 0, 1000, std::chrono::milliseconds(0));
    ASSERT_TRUE(read.ok());
    ASSERT_EQ(read->size(), end);
    size_t i = 0;
    auto s = scanner->Scan(p, 0, end, [&](const LogEntryView& v) {
      const LogEntry& want = (*read)[i++];
      EXPECT_EQ(v.offset, want.offset);
      EXPECT_EQ(v.seal, want.seal.has_value());
      if (want.seal) {
        EXPECT_EQ(v.election_id, want.seal->election_id);
        ++seals_seen;
      } else {
        EXPECT_EQ(v.vote_id, want.vote.vote_id);
        EXPECT_EQ(v.election_id, want.vote.election_id);
        EXPECT_EQ(v.option_id, want.vote.option_id);
        EXPECT_EQ(v.voter_id, want.vote.voter_id);
        EXPECT_EQ(v.ingest_time_ms, want.vote.ingest_time_ms);
        ++votes_seen;
      }
      return true;
    });
    ASSERT_TRUE(s.ok()) << s.message();
    EXPECT_EQ(i, end);
  }
  EXPECT_EQ(votes_seen, votes.size());
  EXPECT_EQ(seals_seen, log->partitions());
}

// A scan takes its lease and iterator again every few entries (a reopen must not wait for a
// whole partition): the entries are the same, in order, across every step, from any start.
TEST_F(LogScanTest, ScannerInStepsOfAFewEntriesHandsOutTheSame) {
  for (uint64_t step : {1u, 2u, 3u, 5u}) {
    EmbeddedLogScanner stepped(*db, step);
    for (uint32_t p = 0; p < log->partitions(); ++p) {
      const uint64_t end = *log->EndOffset(p);
      ASSERT_GT(end, 3 * step);  // several steps
      for (uint64_t from : {uint64_t{0}, uint64_t{1}, end - 1}) {
        std::vector<std::string> want, got;
        auto collect = [](std::vector<std::string>& out) {
          return [&out](const LogEntryView& v) {
            out.push_back(std::to_string(v.offset) + (v.seal ? "seal" : "") +
                          std::string(v.vote_id) + "/" + std::string(v.voter_id));
            return true;
          };
        };
        ASSERT_TRUE(log->scanner()->Scan(p, from, end, collect(want)).ok());
        ASSERT_TRUE(stepped.Scan(p, from, end, collect(got)).ok());
        EXPECT_EQ(got, want) << "step " << step << " from " << from;
        EXPECT_EQ(got.size(), end - from);
      }
      auto s = stepped.Scan(p, 0, end + 1, [](const LogEntryView&) { return true; });
      EXPECT_EQ(s.code(), Code::kInternal) << "step " << step;
    }
  }
}

TEST_F(LogScanTest, ScannerKeepsToItsRangeStopsWhenToldAndReportsAShortPartition) {
  LogScanner* scanner = log->scanner();
  const uint64_t end = *log->EndOffset(0);
  ASSERT_GE(end, 4u);
  std::vector<uint64_t> offsets;
  auto collect = [&](const LogEntryView& v) {
    offsets.push_back(v.offset);
    return true;
  };
  ASSERT_TRUE(scanner->Scan(0, 1, 3, collect).ok());
  EXPECT_EQ(offsets, (std::vector<uint64_t>{1, 2}));
  offsets.clear();
  ASSERT_TRUE(scanner
                  ->Scan(0, 0, end,
                         [&](const LogEntryView& v) {
                           offsets.push_back(v.offset);
                           return offsets.size() < 2;
                         })
                  .ok());
  EXPECT_EQ(offsets.size(), 2u);
  auto s = scanner->Scan(0, 0, end + 5, [](const LogEntryView&) { return true; });
  EXPECT_EQ(s.code(), Code::kInternal);
  EXPECT_NE(s.message().find("ends early"), std::string::npos) << s.message();
}

TEST_F(LogScanTest, ScannerRefusesACorruptRecordAsReadDoes) {
  const uint64_t end = *log->EndOffset(0);
  ASSERT_TRUE(db->db()->Put(rocksdb::WriteOptions(), db->log(), LogKey(0, 1), "\xff\x01").ok());
  auto read = log->Read(0, 0, 1000, std::chrono::milliseconds(0));
  ASSERT_FALSE(read.ok());
  auto s = log->scanner()->Scan(0, 0, end, [](const LogEntryView&) { return true; });
  EXPECT_EQ(s.code(), read.status().code());
  EXPECT_EQ(s.message(), read.status().message());
}

TEST_F(LogScanTest, LedgerViewsAreTheCountedReceipts) {
  EmbeddedProcessorState st(*db);
  for (uint32_t p = 0; p < log->partitions(); ++p) {
    auto read = log->Read(p, 0, 1000, std::chrono::milliseconds(0));
    ASSERT_TRUE(read.ok());
    PartitionCommit c;
    c.partition = p;
    c.next_offset = read->size();
    for (const LogEntry& e : *read) {
      if (!e.seal) c.votes.push_back({e, Outcome::kCounted, "", ""});
    }
    ASSERT_TRUE(st.Commit(c).ok());
  }
  EmbeddedLedger ledger(*db);
  for (std::string election : {"e1", "e2"}) {
    std::vector<Receipt> want;
    ASSERT_TRUE(ledger
                    .ScanCounted(election,
                                 [&](const Receipt& r) {
                                   want.push_back(r);
                                   return true;
                                 })
                    .ok());
    ASSERT_FALSE(want.empty());
    size_t i = 0;
    ASSERT_TRUE(ledger
                    .ScanCountedViews(election,
                                      [&](const CountedVoteView& v) {
                                        EXPECT_LT(i, want.size());
                                        if (i >= want.size()) return false;
                                        const Receipt& r = want[i++];
                                        EXPECT_EQ(v.vote_id, r.vote_id);
                                        EXPECT_EQ(v.voter_id, r.voter_id);
                                        EXPECT_EQ(v.option_id, r.option_id);
                                        EXPECT_EQ(v.ingest_time_ms, r.ingest_time_ms);
                                        return true;
                                      })
                    .ok());
    EXPECT_EQ(i, want.size());
  }
  // A corrupt row: both scans fail alike.
  ASSERT_TRUE(db->db()
                  ->Put(rocksdb::WriteOptions(), db->ledger(), std::string("e1") + '\0' + "zzz",
                        "\x28\x07")  // outcome 7: no such Outcome
                  .ok());
  auto a = ledger.ScanCounted("e1", [](const Receipt&) { return true; });
  auto b = ledger.ScanCountedViews("e1", [](const CountedVoteView&) { return true; });
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(b.code(), a.code());
  EXPECT_EQ(b.message(), a.message());
}

}  // namespace
}  // namespace urna::embedded
