// Ledger port: the source of truth, one row per counted vote (per (election, voter) with one vote
// per voter; a voter's k-th counted vote, k <= votes_per_voter, has its own row), plus every
// vote's receipt. Read by receipt lookups, recount and audit.
// Embedded: RocksDB column families. Distributed: DynamoDB tables. Thread-safe; blocking.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "core/vote.h"

namespace urna {

struct Receipt {
  std::string vote_id;
  std::string election_id;
  std::string voter_id;
  std::string option_id;
  Outcome outcome = Outcome::kPending;
  std::string reason;  // kRejected: why (core/vote.h kReason*); empty otherwise
  int64_t ingest_time_ms = 0;
  std::string counted_vote_id;  // kDuplicate: the vote that counts for this voter
};

// What the recount and the audit export read of a counted vote (Ledger::ScanCountedViews): views
// into the stored row, valid only during the callback.
struct CountedVoteView {
  std::string_view vote_id;
  std::string_view voter_id;
  std::string_view option_id;
  int64_t ingest_time_ms = 0;
};

class Ledger {
 public:
  virtual ~Ledger() = default;
  // The receipt of vote `vote_id` cast by `voter_id` in `election_id`, or nullopt if that voter
  // cast no vote with this id there (the voter and election are part of the key, so a
  // distributed store can find a counted vote's ledger row without an index on vote ids).
  virtual Result<std::optional<Receipt>> FindReceipt(std::string_view election_id,
                                                     std::string_view voter_id,
                                                     std::string_view vote_id) = 0;
  // The first ledger row of a voter: the receipt of their first counted vote, or nullopt.
  virtual Result<std::optional<Receipt>> FindCountedReceipt(std::string_view election_id,
                                                            std::string_view voter_id) = 0;
  // Every counted vote of an election, in voter id order (a voter's votes in log order). Stops
  // early if `fn` returns false.
  virtual Status ScanCounted(std::string_view election_id,
                             const std::function<bool(const Receipt&)>& fn) = 0;
  // ScanCounted handing out only what the recount reads, as views valid during the call (the
  // embedded ledger reads them from the row's bytes without building a Receipt). The default
  // adapts ScanCounted.
  virtual Status ScanCountedViews(std::string_view election_id,
                                  const std::function<bool(const CountedVoteView&)>& fn) {
    return ScanCounted(election_id, [&fn](const Receipt& r) {
      return fn(CountedVoteView{r.vote_id, r.voter_id, r.option_id, r.ingest_time_ms});
    });
  }
};

}  // namespace urna
