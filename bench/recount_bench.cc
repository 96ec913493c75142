// Recount speed on a large embedded ledger. Fills a fresh data dir with N distinct voters'
// votes through the real group-commit log and processor, closes and seals the election, then
// times the Recounter's passes next to a baseline measured in the same run: a bare RocksDB
// iteration over the same ledger rows (no decoding, hashing or counting).
// Prints each pass's wall time and the CPU time of the thread that ran it (a figure that survives
// a loaded machine).
// Run: build/release/bench/recount_bench [--votes 10000000] [--dir DIR]
//          [--export-buffer-rows 4000000]
#include <rocksdb/db.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <thread>

#include "adapters/embedded/db.h"
#include "adapters/embedded/local_read_model.h"
#include "adapters/embedded/rocksdb_catalog.h"
#include "adapters/embedded/rocksdb_ledger.h"
#include "adapters/embedded/rocksdb_processor_state.h"
#include "adapters/embedded/rocksdb_vote_log.h"
#include "audit/recount.h"
#include "core/uuid7.h"
#include "lifecycle/local_lifecycle.h"
#include "processor/processor.h"

using namespace urna;
using Steady = std::chrono::steady_clock;

namespace {

double Seconds(Steady::time_point a, Steady::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t n = 10'000'000;
  std::string dir = (std::filesystem::temp_directory_path() /
                     ("urna-recount-bench-" + std::to_string(std::random_device{}())))
                        .string();
  size_t buffer_rows = LedgerExport::kDefaultBufferRows;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h") || i + 1 == argc) {
      std::printf(
          "usage: recount_bench [--votes N (10000000)] [--dir DIR] [--export-buffer-rows R "
          "(%zu)]\n",
          LedgerExport::kDefaultBufferRows);
      return !std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h") ? 0 : 2;
    }
    ++i;
    if (!std::strcmp(argv[i - 1], "--votes"))
      n = std::stoull(argv[i]);
    else if (!std::strcmp(argv[i - 1], "--dir"))
      dir = argv[i];
    else if (!std::strcmp(argv[i - 1], "--export-buffer-rows"))
      buffer_rows = std::stoull(argv[i]);
    else
      return std::fprintf(stderr, "unknown flag %s\n", argv[i - 1]), 2;
  }
  std::printf("recount bench: %llu voters, data dir %s\n", static_cast<unsigned long long>(n),
              dir.c_str());
  SystemClock clock;
  auto db = embedded::EmbeddedDb::Open(dir, 8);
  if (!db.ok()) return std::fprintf(stderr, "%s\n", db.status().message().c_str()), 1;
  auto catalog = std::move(*embedded::EmbeddedCatalog::Open(**db));
  embedded::EmbeddedVoteLog log(**db);
  embedded::EmbeddedProcessorState state(**db);
  embedded::EmbeddedLedger ledger(**db);
  embedded::LocalReadModel read_model(clock);
  Election e{"bench",
             "Bench",
             {{"a", "A"}, {"b", "B"}, {"c", "C"}, {"d", "D"}},
             ElectionStatus::kDraft,
             clock.NowMs()};
  OpenElection(e, clock.NowMs() - 1);
  catalog->Create(e);

  // Fill: N distinct voters through the group-commit log, at most 64k appends in flight.
  auto t0 = Steady::now();
  std::atomic<uint64_t> acked{0}, failed{0};
  const char* options[] = {"a", "b", "c", "d"};
  for (uint64_t i = 0; i < n; ++i) {
    while (i - acked - failed > 65536) std::this_thread::yield();
    int64_t now = clock.NowMs();
    log.Append({NewUuid7(now), "bench", options[i % 4], "voter-" + std::to_string(i), now, "bench"},
               [&](Status s) { (s.ok() ? acked : failed)++; });
  }
  while (acked + failed < n) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto t1 = Steady::now();
  auto g = log.stats();
  std::printf("fill:      %.1f s, %.0f votes/s durable, %.0f votes per fsync, %llu failed\n",
              Seconds(t0, t1), n / Seconds(t0, t1), static_cast<double>(g.votes) / g.batches,
              static_cast<unsigned long long>(failed.load()));

  Processor processor((*db)->partitions(), log, state, *catalog, read_model);
  processor.Start();
  while (processor.totals().processed_offsets < n)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  auto t2 = Steady::now();
  std::printf("process:   %.1f s, %.0f votes/s counted\n", Seconds(t1, t2), n / Seconds(t1, t2));
  LocalLifecycle lifecycle(*catalog, log, clock);  // no votes come in here
  if (auto c = lifecycle.Close("bench"); !c.ok()) {
    return std::fprintf(stderr, "close: %s\n", c.status().message().c_str()), 1;
  }
  (*db)->db()->Flush(rocksdb::FlushOptions(), (*db)->ledger());

  // Baseline: bare iteration over the same ledger rows.
  auto b0 = Steady::now();
  uint64_t raw = 0;
  {
    std::unique_ptr<rocksdb::Iterator> it(
        (*db)->db()->NewIterator(rocksdb::ReadOptions(), (*db)->ledger()));
    std::string prefix = std::string("bench") + '\0';
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) ++raw;
  }
  auto b1 = Steady::now();

  // Recount: each pass times itself (RecountReport::ledger_pass, replay_pass: wall and CPU).
  RecountProgress progress;
  Recounter recounter(
      {*catalog, log, log, state, ledger, clock, lifecycle, "bench-audit-key", buffer_rows});
  auto r0 = Steady::now();
  auto report = recounter.Run("bench", progress, std::chrono::minutes(30));
  auto r1 = Steady::now();
  processor.Stop();
  if (!report.ok())
    return std::fprintf(stderr, "recount: %s\n", report.status().message().c_str()), 1;

  double raw_s = Seconds(b0, b1);
  double total_s = Seconds(r0, r1);
  uint64_t log_entries = 0;
  for (uint32_t p = 0; p < (*db)->partitions(); ++p) log_entries += log.end_offset(p);
  const RecountPass& lp = report->ledger_pass;
  const RecountPass& rp = report->replay_pass;
  std::printf("baseline:  bare RocksDB iteration of %llu ledger rows: %.2f s, %.0f rows/s\n",
              static_cast<unsigned long long>(raw), raw_s, raw / raw_s);
  std::printf(
      "recount:   ledger pass (decode, HMAC pseudonym, sort, SHA-256, count): %.2f s, %.0f "
      "rows/s (%.2fx the bare iteration time); CPU %.2f s, %.0f rows per CPU-second\n",
      lp.wall_s, lp.items / lp.wall_s, lp.wall_s / raw_s, lp.cpu_s, lp.items / lp.cpu_s);
  std::printf(
      "recount:   log replay with fresh dedupe: %.2f s, %.0f entries/s; CPU %.2f s, %.0f entries "
      "per CPU-second\n",
      rp.wall_s, rp.items / rp.wall_s, rp.cpu_s, rp.items / rp.cpu_s);
  std::printf(
      "recount:   total %.2f s for %llu ledger rows -> %.0f ledger entries/s; CPU %.2f s (both "
      "passes) -> %.0f ledger entries per CPU-second; %llu log entries; agree=%s final=%s\n",
      total_s, static_cast<unsigned long long>(report->ledger_rows), report->ledger_rows / total_s,
      lp.cpu_s + rp.cpu_s, report->ledger_rows / (lp.cpu_s + rp.cpu_s),
      static_cast<unsigned long long>(log_entries), report->agree ? "yes" : "no",
      report->finalized ? "yes" : "no");
  std::filesystem::remove_all(dir);
  return report->agree ? 0 : 3;
}
