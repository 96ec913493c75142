#include "app/offline.h"

#include <fmt/format.h>
#include <unistd.h>
#include <boost/json/serialize.hpp>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "app/audit_render.h"
#include "app/embedded_stack.h"
#include "audit/ledger_export.h"
#include "auth/secrets.h"
#include "lifecycle/local_lifecycle.h"

namespace urna::app {
namespace {

// Draws progress on stderr: a bar redrawn in place on a terminal, a line every 5 s otherwise.
void ShowProgress(const RecountProgress& p, std::atomic<bool>& stop) {
  bool tty = isatty(STDERR_FILENO) != 0;
  int ticks = 0;
  while (!stop) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    uint64_t done = p.done, total = p.total;
    double f = ProgressFraction(done, total);
    std::string line = fmt::format("{:<18} {:>12}/{:<12} {:5.1f}%",
                                   RecountProgress::PhaseName(p.phase), done, total, 100 * f);
    if (tty) {
      int filled = static_cast<int>(f * 30);
      std::fprintf(stderr, "\r[%s%s] %s", std::string(filled, '#').c_str(),
                   std::string(30 - filled, '.').c_str(), line.c_str());
    } else if (++ticks % 25 == 0) {
      std::fprintf(stderr, "recount: %s\n", line.c_str());
    }
  }
  if (tty) std::fprintf(stderr, "\n");
}

// Runs a recount of a stopped server's data dir; fills `report`.
int Recount(const OfflineOptions& o, Result<RecountReport>& report,
            std::function<void(Ledger&, const std::string&)> with_ledger = {}) {
  if (!std::filesystem::exists(std::filesystem::path(o.data_dir) / "CURRENT")) {
    std::fprintf(stderr, "urna: %s is not an urna data dir\n", o.data_dir.c_str());
    return 1;
  }
  Secrets secrets = LoadSecrets(o.data_dir);
  embedded::DbOptions db_options;
  db_options.receipt_index_capacity = 0;  // no receipts are read here: skip the tail index
  auto stack = EmbeddedStack::Open(o.data_dir, 8, db_options);
  if (!stack.ok()) {
    std::fprintf(stderr,
                 "urna: %s\n(is `urna serve` running on this data dir? stop it, or use "
                 "POST /v1/elections/%s/recount)\n",
                 stack.status().message().c_str(), o.election.c_str());
    return 1;
  }
  auto& st = **stack;
  st.processor->Start();  // processes what is left of the log, seals included

  RecountProgress progress;
  std::atomic<bool> stop{false};
  std::thread display([&] { ShowProgress(progress, stop); });
  LocalLifecycle lifecycle(*st.catalog, *st.log, st.clock);  // no votes come in here
  Recounter recounter({*st.catalog, *st.log, *st.log, *st.state, *st.ledger, st.clock, lifecycle,
                       secrets.audit_key});
  report = recounter.Run(o.election, progress, std::chrono::minutes(30));
  stop = true;
  display.join();
  st.processor->Stop();
  if (!report.ok()) {
    std::fprintf(stderr, "urna: recount of %s failed: %s\n", o.election.c_str(),
                 report.status().message().c_str());
    return 1;
  }
  if (with_ledger) with_ledger(*st.ledger, secrets.audit_key);
  const auto& r = *report;
  std::printf("election %s: %s\n", r.election.id.c_str(),
              r.agree ? "live, ledger and log replay agree; the result is final"
                      : "COUNTS DISAGREE; the result is not final");
  for (const auto& opt : r.election.options) {
    auto at = [&](const OptionCounts& m) { return CountOf(m, opt.id); };
    std::printf("  %-20s ledger %10llu  live %10llu  replay %10llu\n", opt.id.c_str(),
                static_cast<unsigned long long>(at(r.ledger)),
                static_cast<unsigned long long>(at(r.live)),
                static_cast<unsigned long long>(at(r.replay)));
  }
  std::printf("  %llu log entries: %llu counted, %llu duplicate, %llu rejected\n",
              static_cast<unsigned long long>(r.log_entries),
              static_cast<unsigned long long>(r.counted),
              static_cast<unsigned long long>(r.duplicate),
              static_cast<unsigned long long>(r.log_entries - r.counted - r.duplicate));
  std::printf("  ledger digest sha256 %s over %llu rows\n", r.ledger_digest.c_str(),
              static_cast<unsigned long long>(r.ledger_rows));
  return r.agree ? 0 : 3;
}

}  // namespace

int RunRecountCommand(const OfflineOptions& o) {
  Result<RecountReport> report = Status(Code::kInternal, "not run");
  return Recount(o, report);
}

int RunAuditCommand(const OfflineOptions& o) {
  Result<RecountReport> report = Status(Code::kInternal, "not run");
  std::filesystem::path out(o.out_dir);
  std::filesystem::create_directories(out);
  std::string csv_error;
  int code = Recount(o, report, [&](Ledger& ledger, const std::string& key) {
    std::ofstream csv(out / "ledger.csv", std::ios::trunc);
    LedgerExport exporter(key);
    auto sum = exporter.Run(ledger, o.election, [&csv](std::string_view text) { csv << text; });
    if (!sum.ok()) csv_error = sum.status().message();
  });
  if (!report.ok()) return 1;
  if (!csv_error.empty()) {
    std::fprintf(stderr, "urna: ledger export failed: %s\n", csv_error.c_str());
    return 1;
  }
  std::ofstream(out / "report.json", std::ios::trunc)
      << boost::json::serialize(ReportJson(*report)) << "\n";
  std::ofstream(out / "report.html", std::ios::trunc) << ReportHtml(*report);
  std::printf("wrote %s/{report.json,report.html,ledger.csv}\n", out.string().c_str());
  return code;
}

}  // namespace urna::app
