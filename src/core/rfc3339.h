// RFC 3339 timestamps -> Unix ms, for the times a client sends (an election's opens_at and
// closes_at). The inverse of results::FormatTime, which renders them. Pure; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace urna {

// "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)" (RFC 3339 §5.6 date-time; "t"/"z" too):
// Unix ms, fractions past the millisecond truncated. nullopt for anything else, including an
// impossible date (February 30), a missing offset, or a year before 1970.
std::optional<int64_t> ParseRfc3339Ms(std::string_view text);

}  // namespace urna
