// The result routes' answers (docs/api.md "Results"), shared by `urna serve` / `urna ingest`
// (Api) and `urna results` (ResultServerApi) so both serve the same bytes the same way: the
// snapshot with its ETag (304 when it matches) and the upgrade to a live stream (SSE or
// WebSocket) subscribed to the hub. Free functions; network threads (they never block).
#pragma once

#include <string>

#include "net/http_types.h"
#include "ports/catalog.h"
#include "results/hub.h"

namespace urna::app {

// GET /v1/elections/{id}/results.
net::HttpResponse ResultsResponse(results::ResultsHub& hub, const net::HttpRequest& req,
                                  const std::string& election_id);

// GET .../results/stream (`websocket` false) and .../results/ws: the upgrade, or the error.
net::HttpResponse StreamResponse(results::ResultsHub& hub, Catalog& catalog,
                                 const net::HttpRequest& req, const std::string& election_id,
                                 bool websocket);

}  // namespace urna::app
