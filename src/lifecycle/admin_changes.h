// admin: the changes an operator makes to an election besides its transitions (edit or delete a
// draft, archive a final one; rules in core/election.h), as both lifecycles apply them under
// their transitions lock so they never interleave with an open or a close. Free functions over
// the Catalog port; blocking (catalog writes); any thread.
#pragma once

#include <string_view>

#include "core/election.h"
#include "core/status.h"
#include "ports/catalog.h"

namespace urna {

// Each function reads the stored entry and decides on it; on kConflict from the catalog
// (another process wrote the entry since the read: DynamoDB's version condition) it reads again,
// up to `attempts` times. kNotFound when absent.

// Replaces the content of the draft `spec.id` by `spec` (EditDraftElection).
Result<Election> EditDraftEntry(Catalog& catalog, const Election& spec, int attempts);
// Removes the draft `election_id` (CheckDeletable).
Status DeleteDraftEntry(Catalog& catalog, std::string_view election_id, int attempts);
// Archives the final election `election_id` at `now_ms` (ArchiveElection); an archived one is
// returned as is.
Result<Election> ArchiveEntry(Catalog& catalog, std::string_view election_id, int64_t now_ms,
                              int attempts);

}  // namespace urna
