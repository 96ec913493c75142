// IngestService: the write side's front door. Checks a vote against the catalog (election
// open, option known), stamps it with a time-ordered vote_id, appends it to the vote log and
// reports acceptance only once the log says it is durable. It never counts. Each vote holds a
// VoteAdmission ticket (ports/election_lifecycle.h) from its check until its append is queued,
// which orders it against a close.
// Owned by the app; thread-safe; never blocks (catalog reads are in memory) except while a close
// holds admission back (microseconds).
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "ports/catalog.h"
#include "ports/clock.h"
#include "ports/election_lifecycle.h"
#include "ports/ledger.h"
#include "ports/vote_log.h"

namespace urna {

class IngestService {
 public:
  // Gets the vote_id once durable, or an error (kNotFound, kNotOpen, kUnknownOption,
  // kInvalidArgument, kUnavailable). Runs exactly once, on the caller's or a log thread.
  using CastDone = std::function<void(Result<std::string>)>;

  IngestService(Catalog& catalog, VoteLog& log, const Clock& clock, std::string node_id,
                VoteAdmission& admission)
      : catalog_(catalog),
        log_(log),
        clock_(clock),
        node_id_(std::move(node_id)),
        admission_(admission) {}

  void CastVote(std::string_view election_id, std::string_view voter_id, std::string_view option_id,
                CastDone done);

  // The receipt of `vote_id` if `voter_id` cast it in `election_id` (kNotFound otherwise, so
  // nobody learns about other voters' votes). Blocking: call off the network threads.
  Result<Receipt> LookupReceipt(Ledger& ledger, std::string_view election_id,
                                std::string_view vote_id, std::string_view voter_id);

 private:
  Catalog& catalog_;
  VoteLog& log_;
  const Clock& clock_;
  const std::string node_id_;
  VoteAdmission& admission_;
};

}  // namespace urna
