// The JSON form of a snapshot, as every read path sends it (GET results, SSE, WebSocket).
// When results are hidden, option entries carry no `votes` field at all; when the turnout is
// hidden too, there is no `total` either (and seq is 0, updated_at null). `stale` is always
// there (true: the counts may be behind, `updated_at` says since when). Pure; any thread.
#pragma once

#include <string>

#include "core/snapshot.h"

namespace urna::results {

std::string SnapshotJson(const Snapshot& s);

// RFC 3339 UTC with milliseconds ("2026-11-29T20:15:02.113Z"), or "" for 0.
std::string FormatTime(int64_t ms);

}  // namespace urna::results
