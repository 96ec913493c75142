// Recounter: the final, strongly consistent count of a closed election (docs/architecture.md §5).
// It makes sure the election's seal is in the log (closing it again through the
// ElectionLifecycle), waits until every partition's processor has passed it, then counts three
// ways and compares:
//   live   - the processor's stored tallies (what viewers were shown),
//   ledger - the source of truth, one row per counted voter (with its digest),
//   replay - the log replayed from offset 0 through a fresh dedupe (an independent count).
// When all three agree the ElectionLifecycle makes the election `final`; otherwise it stays closed
// and the report names each option that differs. Every log entry of the election is accounted for
// in the report (counted, duplicate, rejected by reason). The ledger pass and the log replay read
// different stores and share nothing, so they run at once: the ledger pass on a thread of its
// own (`urna-recount`), the replay on the caller's. Blocking and long: run it on its own thread.
// One Recounter per caller; progress may be read from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "audit/ledger_export.h"
#include "core/dedupe.h"
#include "core/election.h"
#include "core/tally.h"
#include "ports/catalog.h"
#include "ports/clock.h"
#include "ports/election_lifecycle.h"
#include "ports/ledger.h"
#include "ports/processor_state.h"
#include "ports/vote_log.h"

namespace urna {

// The ledger pass and the replay run at once: while the ledger pass runs the phase is kLedger,
// then kReplay until the replay ends; `done` and `total` count both passes together (ledger rows
// plus log entries), so the fraction only grows.
struct RecountProgress {
  enum Phase { kSealing = 0, kLedger = 1, kReplay = 2, kDone = 3 };
  std::atomic<int> phase{kSealing};
  std::atomic<uint64_t> done{0};    // entries of the current phase(s) handled
  std::atomic<uint64_t> total{0};   // entries of the current phase(s) (0 = unknown)
  std::atomic<bool> cancel{false};  // set by another thread: Run returns kUnavailable soon
  static const char* PhaseName(int phase);
};

// done / total within [0, 1] (0 while the total is unknown): the total is the live count plus the
// log's entries, and a ledger holding more rows than the live count (a disagreement the recount
// reports) would take done past it. Grows through the ledger and replay phases.
double ProgressFraction(uint64_t done, uint64_t total);

struct OptionDifference {
  std::string option;
  uint64_t live = 0, ledger = 0, replay = 0;
};

// What one pass of the recount cost: wall time, CPU time of the thread that ran it, items.
struct RecountPass {
  double wall_s = 0, cpu_s = 0;
  uint64_t items = 0;  // ledger rows, or log entries read
};

struct RecountReport {
  Election election;  // as it stands after the recount (`final` when it agreed)
  int64_t started_at_ms = 0;
  int64_t sealed_at_ms = 0;  // when every partition's seal was seen processed
  int64_t finished_at_ms = 0;
  // Every log entry of the election, by fate (from the replay).
  uint64_t log_entries = 0, counted = 0, duplicate = 0;
  std::map<std::string, uint64_t> rejected;  // reason -> count
  OptionCounts live, ledger, replay;
  std::vector<OptionDifference> differences;  // empty when the three agree
  bool agree = false;
  bool finalized = false;
  uint64_t ledger_rows = 0;
  std::string ledger_digest;             // SHA-256 hex over the ledger export rows (LedgerExport)
  RecountPass ledger_pass, replay_pass;  // measured, for benchmarks and logs
};

struct RecountDeps {
  Catalog& catalog;
  VoteLog& log;
  LogReader& reader;
  ProcessorState& state;
  Ledger& ledger;
  const Clock& clock;
  ElectionLifecycle& lifecycle;  // completes a close cut short; finalizes when the counts agree
  std::string audit_key;
  // Ledger rows the pseudonym sort holds in memory before spilling to temporary files
  // (`--export-buffer-rows`; LedgerExport, PseudonymBuckets: ~88 bytes a row).
  size_t export_buffer_rows = LedgerExport::kDefaultBufferRows;
};

// For CheckClosedFor (core/election.h): "the recount needs it closed".
inline constexpr std::string_view kRecountWhat = "the recount";

class Recounter {
 public:
  explicit Recounter(RecountDeps deps) : deps_(std::move(deps)) {}

  // kConflict if the election is draft or open; kUnavailable if the seals are not processed
  // within `seal_timeout` (the processor is not running or far behind).
  Result<RecountReport> Run(std::string_view election_id, RecountProgress& progress,
                            std::chrono::milliseconds seal_timeout);

 private:
  Status WaitForSeals(const Election& e, RecountProgress& progress,
                      std::chrono::milliseconds timeout, OptionCounts* live);
  // One partition's share of the replay's results.
  struct ReplayShare {
    uint64_t log_entries = 0, counted = 0, duplicate = 0, items = 0;
    OptionCounts replay;
    std::map<std::string, uint64_t> rejected;
    double cpu_s = 0;
    Status status = Status::Ok();
  };
  // The replay shared by the two threads: partitions are taken in turn from `next`.
  struct ReplayWork {
    explicit ReplayWork(uint32_t partitions) : ends(partitions), shares(partitions) {}
    std::vector<uint64_t> ends;
    std::vector<ReplayShare> shares;
    std::atomic<uint32_t> next{0};
    std::atomic<bool> stop{false};  // a pass failed: the others stop soon
    // Why: recorded by whoever sets `stop` first (Fail), so a pass that then stops because of
    // it does not hide the cause.
    std::mutex mu;
    Status first_error = Status::Ok();
    void Fail(const Status& s) {
      std::lock_guard<std::mutex> lock(mu);
      if (!stop.exchange(true)) first_error = s;
    }
    // Which worker took at least one partition (only those have a meaningful `finished`).
    bool took[2] = {false, false};
    // When each worker (0: the caller's thread, 1: the ledger pass's) ran out of partitions;
    // each written by its own thread, read after both joined.
    std::chrono::steady_clock::time_point finished[2];
  };
  void ReplayWorker(const Election& e, ReplayWork& work, int worker, RecountProgress& progress);
  // Replays one partition through `dedupe` (cleared first: the calling thread's, reused).
  Status ReplayPartition(const Election& e, uint32_t partition, uint64_t end, VoteDedupe& dedupe,
                         RecountProgress& progress, const std::atomic<bool>& stop,
                         ReplayShare& out);
  // The ledger pass: counts, rows and digest of the ledger export (LedgerExport::Run). Stops
  // early (kUnavailable) when the progress is cancelled or `stop` turns true.
  Status CountLedger(const Election& e, LedgerExport& exporter, RecountProgress& progress,
                     const std::atomic<bool>& stop, RecountReport& report);

  RecountDeps deps_;
};

}  // namespace urna
