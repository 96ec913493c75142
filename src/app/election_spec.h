// ParseElectionSpec: the body of POST /v1/elections (docs/api.md) read into a new Election,
// validated. Kept apart from the route so it can be tested and fuzzed on its own
// (tests/fuzz/election_spec). Pure function; any thread.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "core/election.h"
#include "core/status.h"

namespace urna::app {

// {"id","title","options":[{"id","label"}],"results_visibility"?} -> a draft Election (times
// unset). kInvalidArgument with a clear message for anything else.
Result<Election> ParseElectionSpec(const std::string& body);

// The keys a spec may carry (any other is a 400 `unknown field`).
std::span<const std::string_view> ElectionSpecKeys();

}  // namespace urna::app
