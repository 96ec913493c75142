#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace urna::net {

// How the kernel schedules the read-side threads (urna-stream) against the rest of the process
// (docs/operations.md, "Live result streams"). kNormal: SCHED_OTHER, lowered by a niceness
// (--stream-nice). kIdle: SCHED_IDLE, below every niceness but only among the threads of its own
// scheduling group (the session's autogroup; under systemd, the service's cgroup); any thread of
// that group that wakes preempts it, and other groups are not affected (the niceness is kept but
// has no effect). Under kIdle, waves of new viewers can delay result reads, and the votes queued
// behind them on that network thread: a preempted read-side thread may hold the hub's mutex or a
// lock of its io_context, with no priority inheritance; another reason the default is kNormal.
enum class StreamSched { kNormal, kIdle };

// "normal" / "idle": the values of --stream-sched.
std::string_view StreamSchedName(StreamSched sched);
std::optional<StreamSched> ParseStreamSched(std::string_view name);

// Lowers the CALLING thread's priority (Linux: a thread's policy and niceness are its own):
// `nice` is added to the process's own niceness (a unit file's Nice= stays the base), at most
// 19; then, for kIdle, the policy becomes SCHED_IDLE (tried even if the niceness failed). Lowering
// needs no privilege. An error names everything that failed; the caller decides whether it is
// fatal (the server only warns: its threads are still apart).
Status LowerCurrentThread(StreamSched sched, int nice);

}  // namespace urna::net
