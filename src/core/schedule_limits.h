// schedule: the limits on an election's opens_at / closes_at (docs/api.md, Scheduled voting),
// checked by ValidateSchedule (core/election.h) at create: neither time more than a year (366
// days) after the create, and a voting window of at least 1 s between opens_at and closes_at.
// Constants only; no owner, no thread.
#pragma once

#include <cstdint>

namespace urna {

inline constexpr int64_t kMaxScheduleAheadMs = int64_t{366} * 24 * 3600 * 1000;
inline constexpr int64_t kMinVotingWindowMs = 1000;

}  // namespace urna
