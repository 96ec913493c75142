// LedgerStreams::Stop (called by Api::Shutdown while the network threads still run) ends every
// export, whether it is still scanning the ledger or blocked writing to a client that stopped
// reading, so a server stopping during an export never hangs; later exports get 503.
#include "app/ledger_stream.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "net/body_pipe.h"

namespace urna::app {
namespace {

constexpr auto kDeadline = std::chrono::seconds(30);

// A ledger of `rows` counted votes, read as slowly as the export asks. `rows` is large for a
// scan that outlasts the test unless the export stops it (the bound keeps a broken export from
// running forever).
class RowsLedger final : public Ledger {
 public:
  explicit RowsLedger(uint64_t rows) : rows_(rows) {}
  Result<std::optional<Receipt>> FindReceipt(std::string_view, std::string_view,
                                             std::string_view) override {
    return std::optional<Receipt>();
  }
  Result<std::optional<Receipt>> FindCountedReceipt(std::string_view, std::string_view) override {
    return std::optional<Receipt>();
  }
  Status ScanCounted(std::string_view election_id,
                     const std::function<bool(const Receipt&)>& fn) override {
    for (uint64_t i = 0; i < rows_; ++i) {
      char id[48];
      std::snprintf(id, sizeof id, "0190a1b2-c3d4-7e5f-8a9b-%012llx",
                    static_cast<unsigned long long>(i));
      Receipt r{id,
                std::string(election_id),
                "voter-" + std::to_string(i),
                "a",
                Outcome::kCounted,
                "",
                1000,
                ""};
      scanned.fetch_add(1);
      if (give_up.load() || !fn(r)) break;
    }
    return Status::Ok();
  }
  std::atomic<uint64_t> scanned{0};
  std::atomic<bool> give_up{false};  // set by a test that gave up waiting: ends the scan

 private:
  const uint64_t rows_;
};

// The export's answer, from its thread.
struct Answer {
  std::promise<net::HttpResponse> promise;
  std::future<net::HttpResponse> future = promise.get_future();
  net::Responder responder() {
    return [this](net::HttpResponse r) { promise.set_value(std::move(r)); };
  }
};

// Stop() on another thread; true if it returned within the deadline. If not, `unblock` frees
// the export (so the test fails instead of hanging) before waiting for Stop to return.
bool StopsInTime(LedgerStreams& streams, const std::function<void()>& unblock) {
  auto stopped = std::async(std::launch::async, [&] { streams.Stop(); });
  if (stopped.wait_for(kDeadline) == std::future_status::ready) return true;
  unblock();
  return false;
}

TEST(LedgerStreamsTest, StopCancelsAnExportStillScanningTheLedger) {
  RowsLedger ledger(uint64_t{1} << 32);  // hours of scanning
  LedgerStreams streams;
  Answer answer;
  streams.Start(ledger, "key", "e1", 1000, answer.responder());
  auto deadline = std::chrono::steady_clock::now() + kDeadline;
  while (ledger.scanned.load() < 10000 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  ASSERT_GE(ledger.scanned.load(), 10000u) << "the scan started";
  EXPECT_TRUE(StopsInTime(streams, [&] { ledger.give_up = true; }))
      << "Stop waited for a scan of " << ledger.scanned.load() << " rows";
  ASSERT_EQ(answer.future.wait_for(std::chrono::seconds(0)), std::future_status::ready);
  EXPECT_EQ(answer.future.get().status, 503u) << "a cancelled export answers 503";
}

TEST(LedgerStreamsTest, StopEndsAnExportBlockedOnAClientThatStoppedReading) {
  RowsLedger ledger(20000);  // ~2 MB of CSV: far more than the pipe holds
  LedgerStreams streams;
  Answer answer;
  streams.Start(ledger, "key", "e1", 1000, answer.responder());
  ASSERT_EQ(answer.future.wait_for(kDeadline), std::future_status::ready);
  auto head = answer.future.get();
  ASSERT_EQ(head.status, 200u);
  ASSERT_TRUE(head.body_pipe);
  // Nobody takes from the pipe: the export blocks once it is full.
  EXPECT_TRUE(StopsInTime(streams, [&] { head.body_pipe->Cancel(); }));
  std::string out;
  EXPECT_EQ(head.body_pipe->Take(out, [] {}), net::BodyPipe::State::kCancelled)
      << "the body ends cut short, so the client sees an incomplete export";
}

TEST(LedgerStreamsTest, AfterStopExportsAreRefused) {
  RowsLedger ledger(10);
  LedgerStreams streams;
  streams.Stop();
  Answer answer;
  streams.Start(ledger, "key", "e1", 1000, answer.responder());
  ASSERT_EQ(answer.future.wait_for(kDeadline), std::future_status::ready);
  auto r = answer.future.get();
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(ledger.scanned.load(), 0u);
}

}  // namespace
}  // namespace urna::app
