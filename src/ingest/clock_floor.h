// The floor of the app's MonotonicClock at start-up: the latest wall-clock time the data already
// holds. A process that restarts after the system clock stepped back raises its clock to it, so
// the times it stamps (cast_at, opened_at, closed_at) never go before ones it stamped before the
// restart; the clock then stands still until the system clock catches up.
// A plain function; call it once at start-up, on any thread (it reads the log).
#pragma once

#include <cstdint>

#include "core/status.h"
#include "ports/catalog.h"
#include "ports/vote_log.h"

namespace urna {

// The largest of every election's created/opened/closed/finalized time and of the time of the
// last entry of each log partition (a vote's ingest time or a seal's closed_at); 0 on an empty
// data dir. Reads the catalog (in memory) and one entry per partition: cheap at any log size.
Result<int64_t> LatestTimeOnDisk(Catalog& catalog, LogReader& log, uint32_t partitions);

}  // namespace urna
