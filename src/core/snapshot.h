// Snapshot: what viewers see of one election's results at one moment (docs/architecture.md §4).
// Value type; built by the read side from the catalog entry and the live tally.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/election.h"
#include "core/tally.h"

namespace urna {

struct OptionResult {
  std::string id;
  std::string label;
  uint64_t votes = 0;
};

struct Snapshot {
  std::string election_id;
  ElectionStatus status = ElectionStatus::kDraft;
  uint64_t seq = 0;
  uint64_t total = 0;
  std::vector<OptionResult> options;  // in the election's option order
  int64_t updated_at_ms = 0;
  bool final = false;
  bool hidden = false;          // per-option counts withheld (hidden_until_closed, not final yet)
  bool turnout_hidden = false;  // also the total, seq and updated_at (Election::HidesTurnout)
  bool stale = false;           // the counts may be behind (ElectionTally::stale); never when final
};

// Builds what viewers may see: when results are hidden, every option's votes are 0 and
// `hidden` is set; when the turnout is hidden too, so are total, seq and updated_at (all 0), so
// that nothing in the snapshot moves with the votes until the result is final; `stale` is then
// false too (nothing shown comes from the tally, and a lagging processor would tell that votes
// are arriving). A final snapshot is never stale: its count is complete.
Snapshot BuildSnapshot(const Election& election, const ElectionTally& tally);

}  // namespace urna
