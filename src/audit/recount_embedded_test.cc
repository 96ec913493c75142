// The Recounter over the real embedded store (EmbeddedVoteLog, EmbeddedLedger, ...): its replay
// takes the scanner path (LogScanner: one long read handing out views, recount.cc) there, and
// must report exactly what the Read path reports on the same data; a cancel set in the middle of
// a partition's scan stops it within one progress step (4096 entries).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "adapters/embedded/db.h"
#include "adapters/embedded/rocksdb_catalog.h"
#include "adapters/embedded/rocksdb_ledger.h"
#include "adapters/embedded/rocksdb_processor_state.h"
#include "adapters/embedded/rocksdb_vote_log.h"
#include "adapters/memory/memory_read_model.h"
#include "audit/recount.h"
#include "lifecycle/local_lifecycle.h"
#include "ports/log_scan.h"
#include "processor/processor.h"

namespace urna {
namespace {

using Steady = std::chrono::steady_clock;

// The log's Read path only: no scanner, so the Recounter reads in batches.
class ReadOnlyReader : public LogReader {
 public:
  explicit ReadOnlyReader(LogReader& r) : r_(r) {}
  Result<std::vector<LogEntry>> Read(uint32_t p, uint64_t from, size_t max,
                                     std::chrono::milliseconds wait) override {
    return r_.Read(p, from, max, wait);
  }
  Result<uint64_t> EndOffset(uint32_t p) override { return r_.EndOffset(p); }

 private:
  LogReader& r_;
};

// The log's scanner, which sets `cancel` after `after` entries of one scan and counts the entries
// it hands out from then on.
class CancellingReader : public LogReader, public LogScanner {
 public:
  CancellingReader(LogReader& r, std::atomic<bool>& cancel, uint64_t after)
      : r_(r), cancel_(cancel), after_(after) {}
  Result<std::vector<LogEntry>> Read(uint32_t p, uint64_t from, size_t max,
                                     std::chrono::milliseconds wait) override {
    return r_.Read(p, from, max, wait);
  }
  Result<uint64_t> EndOffset(uint32_t p) override { return r_.EndOffset(p); }
  LogScanner* scanner() override { return this; }
  Status Scan(uint32_t p, uint64_t from, uint64_t end,
              const std::function<bool(const LogEntryView&)>& fn) override {
    uint64_t n = 0;
    return r_.scanner()->Scan(p, from, end, [&](const LogEntryView& e) {
      if (++n == after_) cancel_ = true;
      if (n > after_) ++after_cancel;
      return fn(e);
    });
  }
  std::atomic<uint64_t> after_cancel{0};

 private:
  LogReader& r_;
  std::atomic<bool>& cancel_;
  uint64_t after_;
};

class RecountEmbeddedTest : public ::testing::Test {
 protected:
  static constexpr uint64_t kVotes = 20'000;  // ~10,000 a partition: more than two 4096 steps

  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("urna_recount_embedded_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    auto db = embedded::EmbeddedDb::Open(dir_.string(), 2);
    ASSERT_TRUE(db.ok()) << db.status().message();
    db_ = std::move(*db);
    auto catalog = embedded::EmbeddedCatalog::Open(*db_);
    ASSERT_TRUE(catalog.ok());
    catalog_ = std::move(*catalog);
    log_ = std::make_unique<embedded::EmbeddedVoteLog>(*db_);
    state_ = std::make_unique<embedded::EmbeddedProcessorState>(*db_);
    ledger_ = std::make_unique<embedded::EmbeddedLedger>(*db_);
    lifecycle_ = std::make_unique<LocalLifecycle>(*catalog_, *log_, clock_);
    Election e{"e1", "T", {{"a", "A"}, {"b", "B"}, {"c", "C"}}, ElectionStatus::kDraft, 0};
    ASSERT_TRUE(OpenElection(e, clock_.NowMs() - 1).ok());
    ASSERT_TRUE(catalog_->Create(e).ok());
    // Votes from 15,000 voters (some vote twice: duplicates), one for an unknown option
    // (rejected) every 1000, and votes for another election (not this one's).
    std::atomic<uint64_t> acked{0}, failed{0};
    const char* options[] = {"a", "b", "c"};
    for (uint64_t i = 0; i < kVotes; ++i) {
      const std::string option = i % 1000 == 7 ? "zz" : options[i % 3];
      const std::string election = i % 997 == 3 ? "other" : "e1";
      log_->Append({"vote-" + std::to_string(i), election, option,
                    "voter-" + std::to_string(i % 15'000), clock_.NowMs(), "n"},
                   [&](Status s) { (s.ok() ? acked : failed)++; });
    }
    const auto deadline = Steady::now() + std::chrono::seconds(60);
    while (acked + failed < kVotes && Steady::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_EQ(acked.load(), kVotes);
    processor_ = std::make_unique<Processor>(2, *log_, *state_, *catalog_, rm_);
    processor_->Start();
    while (processor_->totals().processed_offsets < kVotes && Steady::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_EQ(processor_->totals().processed_offsets, kVotes);
    ASSERT_TRUE(lifecycle_->Close("e1").ok());
  }
  void TearDown() override {
    if (processor_) processor_->Stop();
    processor_.reset();
    lifecycle_.reset();
    ledger_.reset();
    state_.reset();
    log_.reset();
    catalog_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  Result<RecountReport> Recount(LogReader& reader, RecountProgress& progress) {
    Recounter r({*catalog_, *log_, reader, *state_, *ledger_, clock_, *lifecycle_, "audit-key"});
    return r.Run("e1", progress, std::chrono::seconds(30));
  }

  std::filesystem::path dir_;
  SystemClock clock_;
  std::unique_ptr<embedded::EmbeddedDb> db_;
  std::unique_ptr<embedded::EmbeddedCatalog> catalog_;
  std::unique_ptr<embedded::EmbeddedVoteLog> log_;
  std::unique_ptr<embedded::EmbeddedProcessorState> state_;
  std::unique_ptr<embedded::EmbeddedLedger> ledger_;
  memory::MemoryReadModel rm_;
  std::unique_ptr<LocalLifecycle> lifecycle_;
  std::unique_ptr<Processor> processor_;
};

TEST_F(RecountEmbeddedTest, ScannerReplayReportsAsTheReadPath) {
  ASSERT_NE(log_->scanner(), nullptr);  // the path under test
  RecountProgress p1, p2;
  auto scanned = Recount(*log_, p1);
  ASSERT_TRUE(scanned.ok()) << scanned.status().message();
  ReadOnlyReader read_only(*log_);
  auto read = Recount(read_only, p2);
  ASSERT_TRUE(read.ok()) << read.status().message();
  EXPECT_TRUE(scanned->agree);
  EXPECT_TRUE(read->agree);
  EXPECT_EQ(scanned->log_entries, read->log_entries);
  EXPECT_EQ(scanned->counted, read->counted);
  EXPECT_EQ(scanned->duplicate, read->duplicate);
  EXPECT_EQ(scanned->rejected, read->rejected);
  EXPECT_EQ(scanned->replay, read->replay);
  EXPECT_EQ(scanned->ledger, read->ledger);
  EXPECT_EQ(scanned->ledger_rows, read->ledger_rows);
  EXPECT_EQ(scanned->ledger_digest, read->ledger_digest);
  EXPECT_EQ(scanned->replay_pass.items, read->replay_pass.items);
  // And the figures are the data's: 15,000 voters less those whose only votes were rejected or
  // for the other election; every rejected vote named.
  EXPECT_GT(scanned->counted, 14'800u);
  EXPECT_GT(scanned->duplicate, 4'800u);
  EXPECT_FALSE(scanned->rejected.empty());
  EXPECT_EQ(scanned->counted, scanned->ledger_rows);
}

TEST_F(RecountEmbeddedTest, CancelInThePartitionsScanStopsIt) {
  RecountProgress progress;
  CancellingReader reader(*log_, progress.cancel, 4'500);
  auto r = Recount(reader, progress);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  EXPECT_EQ(r.status().message(), "recount cancelled");
  // The scan stopped at its next progress step (every 4096 entries), not at the partition's end.
  EXPECT_LE(reader.after_cancel.load(), 4'096u);
}

}  // namespace
}  // namespace urna
