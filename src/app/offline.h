// Offline commands on a stopped server's data dir: `urna recount` and `urna audit`. They open
// the data dir (RocksDB's lock refuses it while `urna serve` runs), start the processor so the
// seals get processed, run the Recounter with a progress display, and report.
#pragma once

#include <string>

namespace urna::app {

struct OfflineOptions {
  std::string data_dir;
  std::string election;
  std::string out_dir;  // audit only: where report.json, report.html and ledger.csv go
};

// Exit codes: 0 the counts agree (the election is final), 3 they disagree, 1 error.
int RunRecountCommand(const OfflineOptions& o);
int RunAuditCommand(const OfflineOptions& o);

}  // namespace urna::app
