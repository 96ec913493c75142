// Closing an election (docs/architecture.md §5): between votes (the ingest's admission gate), the
// catalog marks it closed, so ingest refuses its votes from now on, and a seal marker is queued on
// every log partition behind every vote admitted before. Blocking: call it off the network threads,
// and not concurrently for the same election.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/election.h"
#include "ingest/admission_gate.h"
#include "ports/catalog.h"
#include "ports/clock.h"
#include "ports/vote_log.h"

namespace urna {

// Closes `election_id` (a no-op if it is closed or final already) and appends its seal, durably.
// Appending the seal again is harmless (processors pass a seal once), so a close interrupted
// between the two steps is completed by closing again.
// The election's closed_at is read from `clock` inside the gate: with a MonotonicClock shared with
// the ingest (as the app runs it), every vote this node admitted before the close has an ingest
// time at or before it. No fate depends on that: DecideVote goes by the seal's place in the log.
Result<Election> CloseAndSeal(AdmissionGate& gate, Catalog& catalog, VoteLog& log,
                              std::string_view election_id, const Clock& clock);

// Appends the seal of a closed election and waits until it is durable.
Status AppendSealSync(VoteLog& log, const Election& election);

}  // namespace urna
