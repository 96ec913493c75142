// The /metrics families read from the write side's stores (docs/operations.md "What to watch"):
// processor lag in log entries per partition, and per-election counts for the elections that
// are live (open or closed, not yet final), at most `max_elections` of them so the series stay
// bounded whatever the catalog holds. Free functions for the thread answering /metrics; the
// catalog and read model calls are in-memory in `urna serve`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "app/metrics_text.h"
#include "ports/catalog.h"
#include "ports/read_model.h"
#include "ports/vote_log.h"

namespace urna::app {

// urna_log_end_offset, urna_processor_next_offset and urna_processor_lag_entries, each with a
// {partition} label; `next[p]` is partition p's next offset to process. A partition whose end
// the reader does not know is left out of the end and lag families.
void WritePartitionLag(MetricsText& m, const std::vector<uint64_t>& next, LogReader& log);

// urna_elections{status} (every election), then urna_election_votes{election} (the counted
// votes, the total every viewer sees; none for an election that hides its turnout, see
// Election::HidesTurnout) and urna_election_open{election} for the live elections in id order,
// at most `max_elections`; urna_election_series_dropped says how many were left out.
void WriteElectionMetrics(MetricsText& m, Catalog& catalog, ReadModel& read_model,
                          size_t max_elections);

}  // namespace urna::app
