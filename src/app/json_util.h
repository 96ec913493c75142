// JSON helpers of the HTTP API: parsing request bodies, rendering elections and times, and
// mapping Status codes to HTTP errors (snapshots are rendered by the results hub,
// results/snapshot_json.h). Pure functions; any thread.
#pragma once

#include <boost/json/value.hpp>

#include <cstdint>
#include <string>

#include "core/election.h"
#include "core/status.h"
#include "net/http_types.h"

namespace urna::app {

// Parses a request body that must be a JSON object, refusing duplicate keys at any depth.
// kInvalidArgument with a clear message.
Result<boost::json::object> ParseObject(const std::string& body);

// RFC 3339 UTC with milliseconds, or null for 0.
boost::json::value TimeJson(int64_t ms);

boost::json::object ElectionJson(const Election& e);

net::HttpResponse JsonResponse(unsigned status, const boost::json::value& v);
// The documented error for a Status (see docs/api.md).
net::HttpResponse StatusResponse(const Status& s);

}  // namespace urna::app
