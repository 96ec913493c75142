#include "app/store_metrics.h"

#include <algorithm>
#include <array>
#include <string>

#include "core/tally.h"

namespace urna::app {

void WritePartitionLag(MetricsText& m, const std::vector<uint64_t>& next, LogReader& log) {
  std::vector<std::optional<uint64_t>> end(next.size());
  for (uint32_t p = 0; p < next.size(); ++p) end[p] = log.KnownEndOffset(p);
  m.Family("urna_log_end_offset", "gauge", "Log entries durable in the partition (its end)");
  for (uint32_t p = 0; p < next.size(); ++p) {
    if (end[p]) {
      m.Sample("urna_log_end_offset", {{"partition", std::to_string(p)}},
               static_cast<double>(*end[p]));
    }
  }
  m.Family("urna_processor_next_offset", "gauge",
           "The partition's next log entry the processor will count (entries before it are "
           "committed)");
  for (uint32_t p = 0; p < next.size(); ++p) {
    m.Sample("urna_processor_next_offset", {{"partition", std::to_string(p)}},
             static_cast<double>(next[p]));
  }
  m.Family("urna_processor_lag_entries", "gauge",
           "Log entries durable in the partition and not yet processed (votes, seals: one unit)");
  for (uint32_t p = 0; p < next.size(); ++p) {
    if (end[p]) {
      m.Sample("urna_processor_lag_entries", {{"partition", std::to_string(p)}},
               static_cast<double>(*end[p] > next[p] ? *end[p] - next[p] : 0));
    }
  }
}

void WriteElectionMetrics(MetricsText& m, Catalog& catalog, ReadModel& read_model,
                          size_t max_elections) {
  auto all = catalog.List();
  std::array<size_t, 4> by_status{};
  std::vector<std::shared_ptr<const Election>> live;
  for (const auto& e : all) {
    auto s = static_cast<size_t>(e->status);
    if (s < by_status.size()) ++by_status[s];
    if (e->status == ElectionStatus::kOpen || e->status == ElectionStatus::kClosed) {
      live.push_back(e);
    }
  }
  m.Family("urna_elections", "gauge", "Elections in the catalog, by status");
  for (auto st : {ElectionStatus::kDraft, ElectionStatus::kOpen, ElectionStatus::kClosed,
                  ElectionStatus::kFinal}) {
    m.Sample("urna_elections", {{"status", ToString(st)}},
             static_cast<double>(by_status[static_cast<size_t>(st)]));
  }
  std::sort(live.begin(), live.end(), [](const auto& a, const auto& b) { return a->id < b->id; });
  size_t shown = std::min(live.size(), max_elections);
  m.Family("urna_election_votes", "gauge",
           "Votes counted so far in a live (open or closed, not final) election that shows its "
           "turnout");
  for (size_t i = 0; i < shown; ++i) {
    // /metrics needs no token: an election that hides its turnout from viewers until final
    // (Election::HidesTurnout) has no vote series here either.
    if (live[i]->HidesTurnout()) continue;
    auto tally = read_model.Get(live[i]->id);
    m.Sample("urna_election_votes", {{"election", live[i]->id}},
             tally.ok() ? static_cast<double>(Total(tally->votes)) : 0.0);
  }
  m.Family("urna_election_open", "gauge", "1 while a live election takes votes, 0 once closed");
  for (size_t i = 0; i < shown; ++i) {
    m.Sample("urna_election_open", {{"election", live[i]->id}},
             live[i]->status == ElectionStatus::kOpen ? 1 : 0);
  }
  m.Gauge("urna_election_series_dropped",
          "Live elections left out of the urna_election_* series (over --metrics-elections)",
          static_cast<double>(live.size() - shown));
}

}  // namespace urna::app
