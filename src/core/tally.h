// Tallies: counted votes per option. A partition's processor owns its PartitionTally
// (one thread); the read model merges partitions into an ElectionTally.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace urna {

using OptionCounts = std::map<std::string, uint64_t, std::less<>>;

// Absolute counts of one log partition for the elections it touched, as of `next_offset`
// (the first offset not yet included). Absolute, so a replayed update is harmless and an
// older one can be fenced off by its offset.
struct PartitionTally {
  uint32_t partition = 0;
  uint64_t next_offset = 0;
  std::map<std::string, OptionCounts, std::less<>> elections;
};

// The merged live tally of one election. `seq` grows with every change. `stale`: the read model
// knows these counts may be behind the durable votes by more than its bound (the processor lags,
// the write side is silent, or Redis cannot be read); `updated_at_ms` says since when they are.
struct ElectionTally {
  OptionCounts votes;
  uint64_t seq = 0;
  int64_t updated_at_ms = 0;
  bool stale = false;
};

// The default bound past which a read model marks its tallies stale: the processor's lag in
// `urna serve` (--stale-after-ms), the write side's in a result server (TallyCacheOptions).
inline constexpr int64_t kDefaultStaleAfterMs = 5000;

uint64_t Total(const OptionCounts& counts);
// The count of one option, 0 when it has none (an option nobody voted for has no entry).
uint64_t CountOf(const OptionCounts& counts, std::string_view option_id);

}  // namespace urna
