// Closing an election (DESIGN.md §5): the catalog marks it closed, so ingest refuses its votes
// from now on, then a seal marker is appended to every log partition. Blocking: call it off the
// network threads, and not concurrently for the same election.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/election.h"
#include "ports/catalog.h"
#include "ports/vote_log.h"

namespace urna {

// Closes `election_id` (a no-op if it is closed or final already) and appends its seal, durably.
// Appending the seal again is harmless (processors pass a seal once), so a close interrupted
// between the two steps is completed by closing again.
Result<Election> CloseAndSeal(Catalog& catalog, VoteLog& log, std::string_view election_id,
                              int64_t now_ms);

// Appends the seal of a closed election and waits until it is durable.
Status AppendSealSync(VoteLog& log, const Election& election);

}  // namespace urna
