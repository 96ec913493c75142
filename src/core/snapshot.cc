#include "core/snapshot.h"

namespace urna {

Snapshot BuildSnapshot(const Election& election, const ElectionTally& tally) {
  Snapshot s;
  s.election_id = election.id;
  s.status = election.status;
  s.seq = tally.seq;
  s.updated_at_ms = tally.updated_at_ms;
  s.final = election.status == ElectionStatus::kFinal;
  // A final result is the declared one: never stale, even once the processors are stopped after
  // election day (their silence would otherwise mark it "may be out of date" for ever).
  s.stale = tally.stale && !s.final;
  s.hidden = election.results_visibility == ResultsVisibility::kHiddenUntilClosed && !s.final;
  s.options.reserve(election.options.size());
  for (const auto& o : election.options) {
    uint64_t n = CountOf(tally.votes, o.id);
    s.total += n;
    s.options.push_back({o.id, o.label, s.hidden ? 0 : n});
  }
  if (election.HidesTurnout()) {
    s.turnout_hidden = true;
    s.total = 0;
    s.seq = 0;
    s.updated_at_ms = 0;
    s.stale = false;
  }
  return s;
}

}  // namespace urna
