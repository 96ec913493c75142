// Strict JSON parsing for request bodies: like boost::json::parse, but an object that names the
// same key twice, at any depth, is refused. Boost.JSON (1.81) has no option for this and its
// value keeps only the last of the duplicates, so a check over the parsed value cannot see them;
// a proxy or another reader that takes the first would disagree with what urna acted on.
// Pure function; any thread.
#pragma once

#include <boost/json/value.hpp>

#include <string_view>

#include "core/status.h"

namespace urna::app {

// kInvalidArgument "duplicate key \"k\"" or "malformed JSON: ..." on bad input.
Result<boost::json::value> ParseStrictJson(std::string_view text);

}  // namespace urna::app
