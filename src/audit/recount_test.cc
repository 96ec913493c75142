#include "audit/recount.h"

#include <gtest/gtest.h>
#include <openssl/sha.h>

#include <algorithm>

#include "adapters/memory/memory_catalog.h"
#include "adapters/memory/memory_processor_state.h"
#include "adapters/memory/memory_read_model.h"
#include "adapters/memory/memory_vote_log.h"
#include "audit/ledger_export.h"
#include "core/hex.h"
#include "ingest/ingest_service.h"
#include "lifecycle/local_lifecycle.h"
#include "processor/partition_processor.h"

namespace urna {
namespace {

class StepClock : public Clock {
 public:
  int64_t NowMs() const override { return now; }
  int64_t now = 1000;
};

class RecountTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Election e{"e1", "T", {{"a", "A"}, {"b", "B"}}, ElectionStatus::kDraft, 0, 0, 0};
    ASSERT_TRUE(OpenElection(e, 100).ok());
    ASSERT_TRUE(catalog.Create(e).ok());
    for (uint32_t p = 0; p < 2; ++p) {
      procs.push_back(std::make_unique<PartitionProcessor>(p, log, state, catalog, rm));
    }
  }
  void Vote(int i, std::string option, int64_t t = 500) {
    // Votes 0-99 come from 40 voters; later ones each from a voter of their own.
    std::string voter = "voter-" + std::to_string(i < 100 ? i % 40 : i);
    log.Append({"vote-" + std::to_string(i), "e1", std::move(option), voter, t, "n"},
               [](Status) {});
  }
  void Process() {
    for (auto& p : procs) ASSERT_TRUE(p->Step(std::chrono::milliseconds(0)).ok());
  }
  Result<RecountReport> Recount(size_t export_buffer_rows = LedgerExport::kDefaultBufferRows,
                                Ledger* ledger = nullptr, LogReader* reader = nullptr,
                                RecountProgress* progress_out = nullptr) {
    // The recount waits for the seals: let the processors pass them meanwhile.
    std::atomic<bool> stop{false};
    std::thread t([&] {
      while (!stop) {
        for (auto& p : procs) (void)p->Step(std::chrono::milliseconds(0));
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    });
    Recounter r({catalog, log, reader ? *reader : log, state, ledger ? *ledger : state, clock,
                 lifecycle, "audit-key", export_buffer_rows});
    RecountProgress own_progress;
    RecountProgress& progress = progress_out ? *progress_out : own_progress;
    auto out = r.Run("e1", progress, std::chrono::seconds(5));
    stop = true;
    t.join();
    return out;
  }
  memory::MemoryLog log{2};
  memory::MemoryProcessorState state;
  memory::MemoryCatalog catalog;
  memory::MemoryReadModel rm;
  StepClock clock;
  LocalLifecycle lifecycle{catalog, log, clock};
  std::vector<std::unique_ptr<PartitionProcessor>> procs;
};

// The progress fraction stays within [0, 1], even when the ledger pass reads more rows than
// the live count it was expected to match (done past total).
TEST(RecountProgressTest, FractionIsWithinZeroAndOne) {
  EXPECT_DOUBLE_EQ(ProgressFraction(0, 0), 0.0);
  EXPECT_DOUBLE_EQ(ProgressFraction(7, 0), 0.0);
  EXPECT_DOUBLE_EQ(ProgressFraction(50, 200), 0.25);
  EXPECT_DOUBLE_EQ(ProgressFraction(200, 200), 1.0);
  EXPECT_DOUBLE_EQ(ProgressFraction(250, 200), 1.0);
}

TEST_F(RecountTest, RefusesAnOpenElection) {
  Recounter r({catalog, log, log, state, state, clock, lifecycle, "k"});
  RecountProgress progress;
  EXPECT_EQ(r.Run("e1", progress, std::chrono::seconds(1)).status().code(), Code::kConflict);
}

TEST_F(RecountTest, AgreesAndFinalizesAndAccountsForEveryEntry) {
  for (int i = 0; i < 100; ++i) Vote(i, i % 3 ? "a" : "b");  // 40 voters, 60 duplicates
  Process();
  ASSERT_TRUE(lifecycle.Close("e1").ok());
  // Only another ingest node's votes can land here (this node's are ordered by the gate):
  Vote(200, "a", 999);   // cast before the close, but behind the seal: rejected
  Vote(201, "a", 1001);  // cast after the close, behind the seal: rejected
  auto r = Recount();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->agree);
  EXPECT_TRUE(r->finalized);
  EXPECT_EQ((*catalog.Get("e1"))->status, ElectionStatus::kFinal);
  EXPECT_EQ(Total(r->ledger), 40u);
  EXPECT_EQ(r->ledger, r->replay);
  EXPECT_EQ(r->ledger, r->live);
  EXPECT_EQ(r->log_entries, 102u);
  EXPECT_EQ(r->counted, 40u);
  EXPECT_EQ(r->duplicate, 60u);
  EXPECT_EQ(r->rejected[std::string(kReasonElectionClosed)], 2u);
  EXPECT_EQ(r->ledger_rows, 40u);
  EXPECT_EQ(r->ledger_digest.size(), 64u);
  // A second recount of a final election verifies again and changes nothing.
  auto again = Recount();
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->agree);
  EXPECT_EQ(again->ledger_digest, r->ledger_digest);
}

// A ledger whose scan fails (a read error of the store).
class FailingLedger : public Ledger {
 public:
  explicit FailingLedger(Ledger& inner) : inner_(inner) {}
  Result<std::optional<Receipt>> FindReceipt(std::string_view e, std::string_view v,
                                             std::string_view id) override {
    return inner_.FindReceipt(e, v, id);
  }
  Result<std::optional<Receipt>> FindCountedReceipt(std::string_view e,
                                                    std::string_view v) override {
    return inner_.FindCountedReceipt(e, v);
  }
  Status ScanCounted(std::string_view, const std::function<bool(const Receipt&)>&) override {
    return Status(Code::kInternal, "ledger read fault (test)");
  }

 private:
  Ledger& inner_;
};

// A log reader whose reads wait until the ledger pass has ended (the phase leaves kLedger),
// so the replay is still running when the ledger pass fails.
class AfterLedgerReader : public LogReader {
 public:
  AfterLedgerReader(LogReader& inner, RecountProgress& progress)
      : inner_(inner), progress_(progress) {}
  Result<std::vector<LogEntry>> Read(uint32_t p, uint64_t from, size_t max,
                                     std::chrono::milliseconds wait) override {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (progress_.phase == RecountProgress::kLedger &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return inner_.Read(p, from, max, wait);
  }
  Result<uint64_t> EndOffset(uint32_t p) override { return inner_.EndOffset(p); }

 private:
  LogReader& inner_;
  RecountProgress& progress_;
};

// When the ledger pass fails while a partition is still being replayed, the recount's error is
// the ledger's own, not "the other pass failed", and nothing is finalized.
TEST_F(RecountTest, LedgerFailureDuringTheReplayIsTheErrorReported) {
  for (int i = 0; i < 100; ++i) Vote(i, i % 3 ? "a" : "b");
  Process();
  ASSERT_TRUE(lifecycle.Close("e1").ok());
  FailingLedger ledger(state);
  RecountProgress progress;
  AfterLedgerReader reader(log, progress);
  auto r = Recount(LedgerExport::kDefaultBufferRows, &ledger, &reader, &progress);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("ledger read fault (test)"), std::string::npos)
      << r.status().message();
  EXPECT_EQ((*catalog.Get("e1"))->status, ElectionStatus::kClosed);
}

// The ledger pass runs beside the replay and sorts within the configured memory budget: a
// budget small enough to spill many times gives the same digest as the in-memory sort of the
// same ledger (the export's bytes do not depend on it), and each pass accounts for every row
// and log entry it read.
TEST_F(RecountTest, SpillingTheSortChangesNothingAndEachPassCountsItsItems) {
  for (int i = 0; i < 300; ++i) Vote(i, i % 3 ? "a" : "b");  // 40 + 200 voters
  Process();
  ASSERT_TRUE(lifecycle.Close("e1").ok());
  auto spilled = Recount(/*export_buffer_rows=*/7);
  ASSERT_TRUE(spilled.ok()) << spilled.status().message();
  EXPECT_TRUE(spilled->agree);
  EXPECT_EQ(spilled->ledger_rows, 240u);
  LedgerExport in_memory("audit-key");
  auto expected = in_memory.Run(state, "e1");
  ASSERT_TRUE(expected.ok());
  EXPECT_EQ(spilled->ledger_digest, expected->digest_hex);
  EXPECT_EQ(spilled->ledger_pass.items, 240u);
  // Every entry of the log: the 300 votes and the seals (one or two per partition: the recount
  // closes again when it finds a seal not yet processed).
  EXPECT_EQ(spilled->replay_pass.items, *log.EndOffset(0) + *log.EndOffset(1));
  EXPECT_EQ(spilled->log_entries, 300u);
  auto again = Recount();  // the default budget, in memory
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->ledger_digest, spilled->ledger_digest);
}

// policy: with votes_per_voter 2 the ledger holds one row per counted vote, and the replay (the
// same rule with the election's limit) agrees with it and with the live tally.
TEST_F(RecountTest, UpToNVotesPerVoterAgreesAndAccountsForEveryEntry) {
  Election e = **catalog.Get("e1");
  e.votes_per_voter = 2;
  ASSERT_TRUE(catalog.Update(e).ok());
  // Voters 0-19 send 3 votes (2 count), voters 20-39 send 2 (both count).
  for (int i = 0; i < 100; ++i) Vote(i, i % 3 ? "a" : "b");
  Process();
  ASSERT_TRUE(lifecycle.Close("e1").ok());
  auto r = Recount();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->agree);
  EXPECT_EQ(r->ledger, r->replay);
  EXPECT_EQ(r->ledger, r->live);
  EXPECT_EQ(r->log_entries, 100u);
  EXPECT_EQ(r->counted, 80u);
  EXPECT_EQ(r->duplicate, 20u);
  EXPECT_EQ(r->ledger_rows, 80u);
  EXPECT_EQ(Total(r->ledger), 80u);
}

TEST_F(RecountTest, CorruptedLiveTallyIsNamedAndNotFinalized) {
  for (int i = 0; i < 40; ++i) Vote(i, "a");
  Process();
  ASSERT_TRUE(lifecycle.Close("e1").ok());
  Process();
  auto live0 = state.Load(0)->tally.elections["e1"]["a"];
  state.SetTally(0, "e1", "a", live0 + 5);
  auto r = Recount();
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->agree);
  EXPECT_FALSE(r->finalized);
  EXPECT_EQ((*catalog.Get("e1"))->status, ElectionStatus::kClosed);
  ASSERT_EQ(r->differences.size(), 1u);
  EXPECT_EQ(r->differences[0].option, "a");
  EXPECT_EQ(r->differences[0].live, 45u);
  EXPECT_EQ(r->differences[0].ledger, 40u);
  EXPECT_EQ(r->differences[0].replay, 40u);
}

// The case through the real ingest, processors and close: votes, then the wall clock
// steps back (past opened_at, even), more votes, then the close reads a time before some votes'
// ingest times. Every vote answered accepted is counted, and live, ledger and replay agree.
TEST_F(RecountTest, ClockStepBackBeforeTheCloseStillAgreesAndCountsEveryAcceptedVote) {
  StepClock wall;
  LocalLifecycle on_wall{catalog, log, wall};  // ingest and close read the stepping clock
  IngestService ingest{catalog, log, wall, "node-a", on_wall};
  std::vector<std::string> accepted;
  auto cast = [&](int i) {
    ingest.CastVote("e1", "voter-" + std::to_string(i), i % 2 ? "a" : "b",
                    [&](Result<std::string> r) {
                      EXPECT_TRUE(r.ok()) << r.status().message();
                      if (r.ok()) accepted.push_back(*r);
                    });
  };
  wall.now = 2000;
  for (int i = 0; i < 3; ++i) cast(i);
  Process();      // counted live while the election is open
  wall.now = 50;  // steps back before opened_at (100): the election is open all the same
  for (int i = 3; i < 8; ++i) cast(i);
  Process();
  wall.now = 1000;  // the close reads a time before the first votes' ingest time
  auto closed = on_wall.Close("e1");
  ASSERT_TRUE(closed.ok());
  ASSERT_EQ(closed->closed_at_ms, 1000);
  auto r = Recount();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(accepted.size(), 8u);
  EXPECT_TRUE(r->agree);
  EXPECT_TRUE(r->finalized);
  OptionCounts expected{{"a", 4}, {"b", 4}};
  EXPECT_EQ(r->live, expected);
  EXPECT_EQ(r->ledger, expected);
  EXPECT_EQ(r->replay, expected);
  EXPECT_EQ(r->counted, 8u);
  EXPECT_TRUE(r->rejected.empty());
  for (const auto& id : accepted) EXPECT_EQ(state.outcomes[id], Outcome::kCounted) << id;
}

// With the app's MonotonicClock the same step leaves every counted vote's cast_at at or before
// closed_at on this node.
TEST_F(RecountTest, MonotonicClockKeepsCastAtAtOrBeforeClosedAt) {
  StepClock wall;
  MonotonicClock clock(wall);
  LocalLifecycle on_clock{catalog, log, clock};
  IngestService ingest{catalog, log, clock, "node-a", on_clock};
  auto cast = [&](int i) {
    ingest.CastVote("e1", "voter-" + std::to_string(i), "a",
                    [](Result<std::string> r) { EXPECT_TRUE(r.ok()); });
  };
  wall.now = 2000;
  for (int i = 0; i < 3; ++i) cast(i);
  wall.now = 1000;
  for (int i = 3; i < 6; ++i) cast(i);
  auto closed = on_clock.Close("e1");
  ASSERT_TRUE(closed.ok());
  EXPECT_EQ(closed->closed_at_ms, 2000);
  auto r = Recount();
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->agree);
  size_t rows = 0;
  ASSERT_TRUE(state
                  .ScanCounted("e1",
                               [&](const Receipt& rc) {
                                 EXPECT_LE(rc.ingest_time_ms, closed->closed_at_ms);
                                 ++rows;
                                 return true;
                               })
                  .ok());
  EXPECT_EQ(rows, 6u);
}

TEST(LedgerExportTest, PseudonymsAreKeyedAndStable) {
  LedgerExport a("key-1"), b("key-2");
  EXPECT_EQ(a.Pseudonym("alice"), a.Pseudonym("alice"));
  EXPECT_NE(a.Pseudonym("alice"), a.Pseudonym("bob"));
  EXPECT_NE(a.Pseudonym("alice"), b.Pseudonym("alice"));
  // RFC 4231 test case 2: HMAC-SHA256(key "Jefe", "what do ya want for nothing?").
  EXPECT_EQ(LedgerExport("Jefe").Pseudonym("what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

// A ledger holding given rows, as stored before option ids were checked for formula leads.
class RowsLedger : public Ledger {
 public:
  Result<std::optional<Receipt>> FindReceipt(std::string_view, std::string_view,
                                             std::string_view) override {
    return std::optional<Receipt>();
  }
  Result<std::optional<Receipt>> FindCountedReceipt(std::string_view, std::string_view) override {
    return std::optional<Receipt>();
  }
  Status ScanCounted(std::string_view, const std::function<bool(const Receipt&)>& fn) override {
    for (const auto& r : rows) {
      if (!fn(r)) break;
    }
    return Status::Ok();
  }
  std::vector<Receipt> rows;
};

TEST(LedgerExportTest, OptionCellsCannotBeSpreadsheetFormulas) {
  RowsLedger ledger;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"plain_id-1.x", "plain_id-1.x"},
      {"-2+3", "\"'-2+3\""},
      {"=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\""},
      {"+1", "\"'+1\""},
      {"@SUM(A1)", "\"'@SUM(A1)\""},
      {"\tx", "\"'\tx\""},
      {"\rx", "\"'\rx\""},
      {"a,b", "\"a,b\""}};
  for (size_t i = 0; i < cases.size(); ++i) {
    ledger.rows.push_back({"01890000-0000-7000-8000-00000000000" + std::to_string(i), "e1",
                           "voter-" + std::to_string(i), cases[i].first, Outcome::kCounted, "",
                           1000 + static_cast<int64_t>(i), ""});
  }
  std::vector<std::string> lines;
  auto sum =
      LedgerExport("k").Run(ledger, "e1", [&](std::string_view l) { lines.emplace_back(l); });
  ASSERT_TRUE(sum.ok()) << sum.status().message();
  ASSERT_EQ(lines.size(), 1 + cases.size());
  EXPECT_EQ(lines[0], kLedgerCsvHeader);  // the file starts with its header line
  size_t bytes = 0;
  for (const auto& l : lines) bytes += l.size();
  EXPECT_EQ(sum->csv_bytes, bytes);
  // The digest covers the rows as exported, the header line excluded (docs/api.md).
  std::string rows;
  for (size_t i = 1; i < lines.size(); ++i) rows += lines[i];
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(rows.data()), rows.size(), md);
  EXPECT_EQ(sum->digest_hex, HexEncode(md));
  for (size_t i = 0; i < cases.size(); ++i) {
    std::string vote_id = "01890000-0000-7000-8000-00000000000" + std::to_string(i);
    auto it = std::find_if(lines.begin(), lines.end(),
                           [&](const std::string& l) { return l.rfind(vote_id, 0) == 0; });
    ASSERT_NE(it, lines.end()) << vote_id;
    std::string want = "," + cases[i].second + "," + std::to_string(1000 + i) + "\n";
    EXPECT_TRUE(it->size() > want.size() && it->ends_with(want)) << *it << " wants " << want;
  }
  EXPECT_EQ(sum->counts["-2+3"], 1u);  // counts keep the stored id
}

}  // namespace
}  // namespace urna
