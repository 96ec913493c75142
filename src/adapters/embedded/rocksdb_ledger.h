// EmbeddedLedger: reads of the ledger and receipts column families (written by
// EmbeddedProcessorState; pending receipts of older data dirs by EmbeddedVoteLog). A pending vote
// has no row: it is found in the unprocessed tail of its voter's log partition, through the log's
// bounded index of its recent tail (TailIndex); past what the index covers, by a scan of at most
// `scan_limit` entries, one at a time, else 503 (Code::kUnavailable, "receipt_unavailable").
// This rests on db.h's invariant: the log is never trimmed, and every entry below a partition's
// processor offset has its receipt (receipts row or the voter's ledger row).
// Owned by the app; thread-safe; blocking (call off the network threads).
#pragma once

#include <mutex>

#include "adapters/embedded/db.h"
#include "adapters/embedded/tail_index.h"
#include "ports/ledger.h"

namespace urna::embedded {

class EmbeddedLedger final : public Ledger {
 public:
  static constexpr size_t kDefaultScanLimit = 20'000;  // log entries per look-up, ~10 ms
  // `tail`: the log's index of its recent tail (null: every pending look-up scans, bounded).
  explicit EmbeddedLedger(EmbeddedDb& db, const TailIndex* tail = nullptr,
                          size_t scan_limit = kDefaultScanLimit)
      : db_(db), tail_(tail), scan_limit_(scan_limit) {}

  Result<std::optional<Receipt>> FindReceipt(std::string_view election_id,
                                             std::string_view voter_id,
                                             std::string_view vote_id) override;
  // The receipt of the processed vote with this id, whoever cast it, unless it is its voter's
  // first counted vote (receipts are keyed by vote id here; that one is the voter's ledger row);
  // a pending vote only in a data dir of before the log stopped writing pending rows. The
  // three-argument form finds every vote.
  Result<std::optional<Receipt>> FindReceipt(std::string_view vote_id);
  Result<std::optional<Receipt>> FindCountedReceipt(std::string_view election_id,
                                                    std::string_view voter_id) override;
  Status ScanCounted(std::string_view election_id,
                     const std::function<bool(const Receipt&)>& fn) override;
  // The recount's scan: views read from each row's bytes (codec/receipt_view.h), no Receipt.
  Status ScanCountedViews(std::string_view election_id,
                          const std::function<bool(const CountedVoteView&)>& fn) override;

 private:
  // Caller holds a lease.
  Result<std::optional<Receipt>> GetReceipt(rocksdb::ColumnFamilyHandle* cf, std::string_view key);
  // The pending receipt in `record` if it is vote `vote_id`: the receipt, or none when another
  // voter's; nullopt when it is another entry.
  static std::optional<std::optional<Receipt>> PendingIn(std::string_view record,
                                                         std::string_view election_id,
                                                         std::string_view voter_id,
                                                         std::string_view vote_id);
  // Searches `partition` from `from` to `end` (UINT64_MAX: its end), bounded (see above).
  // Caller holds a lease.
  Result<std::optional<Receipt>> ScanTail(uint32_t partition, uint64_t from, uint64_t end,
                                          std::string_view election_id, std::string_view voter_id,
                                          std::string_view vote_id);
  EmbeddedDb& db_;
  const TailIndex* const tail_;
  const size_t scan_limit_;
  std::mutex scan_mu_;  // one scan at a time
};

}  // namespace urna::embedded
