#include "ingest/clock_floor.h"

#include <algorithm>

namespace urna {

Result<int64_t> LatestTimeOnDisk(Catalog& catalog, LogReader& log, uint32_t partitions) {
  int64_t latest = 0;
  for (const auto& e : catalog.List()) {
    latest =
        std::max({latest, e->created_at_ms, e->opened_at_ms, e->closed_at_ms, e->finalized_at_ms});
  }
  // Within a partition, times were stamped in order by a MonotonicClock (on one node), so the
  // last entry holds the partition's latest time; votes from several nodes still only differ
  // by the clocks' skew.
  for (uint32_t p = 0; p < partitions; ++p) {
    auto end = log.EndOffset(p);
    if (!end.ok()) return end.status();
    if (*end == 0) continue;
    auto last = log.Read(p, *end - 1, 1, std::chrono::milliseconds(0));
    if (!last.ok()) return last.status();
    for (const auto& entry : *last) {
      latest = std::max(latest, entry.seal ? entry.seal->closed_at_ms : entry.vote.ingest_time_ms);
    }
  }
  return latest;
}

}  // namespace urna
