// LedgerExport: the auditor's view of the ledger. Each counted vote becomes one CSV row
//   vote_id,voter,option,cast_at_ms
// where `voter` is HMAC-SHA256(audit key, voter id) in hex: a stable pseudonym, never the raw
// id. Rows come in ascending order of that pseudonym (hex), never in the ledger's own order
// (by raw voter id), which would let anyone holding the list of voter ids match rows to
// voters. The digest is SHA-256 over the rows exactly as exported (each ending in "\n", the
// header line excluded), so anyone holding the CSV can recompute it. Sorting spills to
// temporary files past a few million rows (PseudonymBuckets). Owned by one caller at a time;
// not thread-safe.
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
  OptionCounts counts;     // counted votes per option, from the ledger
  std::string digest_hex;  // SHA-256 of the rows
};

class LedgerExport {
 public:
  explicit LedgerExport(std::string_view audit_key);
  ~LedgerExport();

  // Scans the election's ledger once, then hands each CSV row, in pseudonym order, to `row_sink`
  // (optional); `on_row` is called per ledger row scanned (progress).
  Result<LedgerSummary> Run(Ledger& ledger, std::string_view election_id,
                            const std::function<void(std::string_view)>& row_sink = {},
                            const std::function<void()>& on_row = {});

  // HMAC-SHA256(audit key, voter id), hex.
  std::string Pseudonym(std::string_view voter_id);

 private:
  void PseudonymBytes(std::string_view voter_id, unsigned char (&out)[32]);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace urna
