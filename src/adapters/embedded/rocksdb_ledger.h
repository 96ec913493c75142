// EmbeddedLedger: reads of the ledger and receipts column families (written by
// EmbeddedProcessorState; pending receipts of older data dirs by EmbeddedVoteLog). A pending vote
// has no row: it is found in the unprocessed tail of its voter's log partition.
// Owned by the app; thread-safe; blocking (call off the network threads).
#pragma once

#include "adapters/embedded/db.h"
#include "ports/ledger.h"

namespace urna::embedded {

class EmbeddedLedger final : public Ledger {
 public:
  explicit EmbeddedLedger(EmbeddedDb& db) : db_(db) {}

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

 private:
  // Caller holds a lease.
  Result<std::optional<Receipt>> GetReceipt(rocksdb::ColumnFamilyHandle* cf, std::string_view key);
  EmbeddedDb& db_;
};

}  // namespace urna::embedded
