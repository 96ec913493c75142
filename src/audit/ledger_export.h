// LedgerExport: the auditor's view of the ledger, and the one writer of its CSV file: the header
// line (kLedgerCsvHeader), then each counted vote as one row
//   vote_id,voter,option,cast_at_ms
// where `voter` is HMAC-SHA256(audit key, voter id) in hex: a stable pseudonym, never the raw
// id. Rows come in ascending order of that pseudonym (hex), never in the ledger's own order
// (by raw voter id), which would let anyone holding the list of voter ids match rows to
// voters. The digest is SHA-256 over the rows exactly as exported (each ending in "\n", the
// header line excluded), so anyone holding the CSV can recompute it. Sorting spills to
// temporary files past `buffer_rows` rows (PseudonymBuckets). Run streams the rows once (the CLI
// writes them to a file); Prepare + Emit serve HTTP, where the digest and the length go in the
// response head before the first row: Prepare scans and walks the sorted rows once for the
// summary, Emit walks them again to send them. Owned by one caller at a time; not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/tally.h"
#include "ports/ledger.h"

namespace urna {

inline constexpr std::string_view kLedgerCsvHeader = "vote_id,voter,option,cast_at_ms\n";

struct LedgerSummary {
  uint64_t rows = 0;
  uint64_t csv_bytes = 0;  // of the whole CSV file, header line included
  OptionCounts counts;     // counted votes per option, from the ledger
  std::string digest_hex;  // SHA-256 of the rows
};

class LedgerExport {
 public:
  // Rows held in memory before the sort spills to temporary files (`urna serve
  // --export-buffer-rows`).
  static constexpr size_t kDefaultBufferRows = 4'000'000;

  explicit LedgerExport(std::string_view audit_key, size_t buffer_rows = kDefaultBufferRows);
  ~LedgerExport();

  // Scans the election's ledger once, then hands the CSV file to `csv_sink` (optional): the
  // header line, then each row in pseudonym order, one call each. `on_row` is called per ledger
  // row scanned (progress). `cancelled` (optional) is polled during the scan as in Prepare.
  Result<LedgerSummary> Run(Ledger& ledger, std::string_view election_id,
                            const std::function<void(std::string_view)>& csv_sink = {},
                            const std::function<void()>& on_row = {},
                            const std::function<bool()>& cancelled = {});

  // Scans the election's ledger and walks the rows once without handing them out: the summary
  // of what Emit will produce. `cancelled` (optional) is polled during the scan; when it turns
  // true the scan stops with kUnavailable.
  Result<LedgerSummary> Prepare(Ledger& ledger, std::string_view election_id,
                                const std::function<bool()>& cancelled = {});
  // After Prepare: hands the CSV file to `csv_sink` as Run does (header line, then the rows in
  // the same order, byte for byte); fails if they no longer match the prepared summary.
  Status Emit(const std::function<void(std::string_view)>& csv_sink);

  // HMAC-SHA256(audit key, voter id), hex.
  std::string Pseudonym(std::string_view voter_id);

 private:
  Status Scan(Ledger& ledger, std::string_view election_id, const std::function<void()>& on_row,
              const std::function<bool()>& cancelled = {});
  Result<LedgerSummary> Walk(const std::function<void(std::string_view)>& csv_sink);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace urna
