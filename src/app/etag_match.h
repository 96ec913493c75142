// If-None-Match evaluation for the result snapshot (RFC 9110 13.1.2): the header is `*` or a
// comma list of entity tags, each maybe weak (`W/"..."`); it matches when any listed tag equals
// the current one by the weak comparison (the W/ prefix ignored on both sides). Written by hand:
// Beast parses the header as one string and no Debian library splits entity-tag lists.
// Pure function; any thread.
#pragma once

#include <string_view>

namespace urna::app {

// True when `if_none_match` names `etag` (or is `*`, the resource existing). A malformed list
// matches nothing from its first bad element on (the full answer is always safe to send).
bool IfNoneMatchHits(std::string_view if_none_match, std::string_view etag);

}  // namespace urna::app
