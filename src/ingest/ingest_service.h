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
#include <vector>

#include "ports/catalog.h"
#include "ports/clock.h"
#include "ports/election_lifecycle.h"
#include "ports/gateway_store.h"
#include "ports/ledger.h"
#include "ports/vote_log.h"

namespace urna {

// One vote of a trusted gateway's batch, as the route checked it: the voter id (already in the
// election's voter space, e.g. "gw:sms-br:5511999"), the option and the gateway's ref.
struct BatchVote {
  std::string voter_id;
  std::string option_id;
  std::string ref;
};

// Limits of a trusted gateway's batch (docs/api.md; --batch-max-votes, --batch-max-body): more
// votes get 413, a larger body 413 before it is read.
struct BatchLimits {
  size_t max_votes = 1000;
  size_t max_body_bytes = 256 * 1024;
};

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

  // For each vote of a batch, in order: its vote_id once durable, or why it is not in the log
  // (kUnknownOption; kConflict: its ref was used for another vote; kUnavailable). The whole
  // batch fails (one Status) when the election is unknown or not open or this node admits
  // nothing now.
  using BatchDone = std::function<void(Result<std::vector<Result<std::string>>>)>;
  // Casts a trusted gateway's batch (vote_batch.cc): one admission ticket for the batch, held
  // until all of it is queued (so a close orders the whole batch before or after its seal), and
  // one durable group on the log (VoteLog::AppendGroup). Each vote is keyed by (gateway,
  // election, ref) with its content's fingerprint: a ref the log holds already is answered with
  // that vote's id (kConflict if it was another vote) and appended no more, and so is a ref
  // repeated within the batch. Call FindBatchRefs first and cast only the votes it found no
  // ref for. Never blocks; runs `done` exactly once, on the caller's or a log thread.
  void CastBatch(std::string_view election_id, std::string_view gateway_id,
                 std::vector<BatchVote> votes, BatchDone done);
  // The refs of a batch stored by earlier batches, read whatever the election's state (a retry
  // after the close is told its votes counted): per vote, in order, the vote_id stored for its
  // ref when it was this same vote, kConflict when it was another vote, "" when none is stored.
  // A failed read is kUnavailable. Blocking: call it off the network threads.
  Result<std::vector<Result<std::string>>> FindBatchRefs(std::string_view election_id,
                                                         std::string_view gateway_id,
                                                         const std::vector<BatchVote>& votes);
  // Where FindBatchRefs reads: the embedded log's keys or the distributed store (which the
  // log records them in, ingest/ref_recording_log.h). Unset: none is found. Set before serving.
  void set_gateway_refs(GatewayRefReader* refs) { refs_ = refs; }
  // The idempotency key of a gateway's vote: gateway, election and ref joined by '\0'.
  static std::string RefKey(std::string_view gateway_id, std::string_view election_id,
                            std::string_view ref);
  // The fingerprint stored with a ref: lowercase hex SHA-256 of voter_id '\0' option_id.
  static std::string RefFingerprint(std::string_view voter_id, std::string_view option_id);
  // The per-vote error of a ref used before for another vote.
  static Status RefConflict(std::string_view ref);

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
  GatewayRefReader* refs_ = nullptr;
};

}  // namespace urna
