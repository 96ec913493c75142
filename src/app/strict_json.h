// Strict JSON parsing for request bodies: like boost::json::parse, but an object that names the
// same key twice, at any depth, is refused. Boost.JSON (1.81) has no option for this and its
// value keeps only the last of the duplicates, so a check over the parsed value cannot see them;
// a proxy or another reader that takes the first would disagree with what urna acted on.
// RejectUnknownFields is the one check every request body goes through against the keys its
// route reads, so a typo ("result_visibility") is a 400, not a silently ignored setting.
// Pure functions; any thread.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <initializer_list>
#include <span>
#include <string_view>

#include "core/status.h"

namespace urna::app {

// kInvalidArgument "duplicate key \"k\"" or "malformed JSON: ..." on bad input.
Result<boost::json::value> ParseStrictJson(std::string_view text);

// kInvalidArgument `unknown field "k"` (the first key of `o`, in its order, that is not in
// `allowed`; long keys shortened), else Ok. `where` prefixes the message ("options[2]: ").
Status RejectUnknownFields(const boost::json::object& o, std::span<const std::string_view> allowed,
                           std::string_view where = {});
Status RejectUnknownFields(const boost::json::object& o,
                           std::initializer_list<std::string_view> allowed,
                           std::string_view where = {});

// For a route that reads no body (open, close, archive, recount, the DELETEs): Ok for none (or
// only whitespace) and for `{}`; an object with a key is refused as that key is unknown
// (`unknown field "dry_run"`), anything else with "this call takes no body". A flag the route
// does not have (`{"dry_run": true}`) must not be silently ignored while the call acts.
Status RejectBody(std::string_view body);

}  // namespace urna::app
