// GET /v1/elections (docs/api.md "Elections"), shared by `urna serve` / `urna ingest` (Api) and
// `urna results` (ResultServerApi) so both list the same elections: archived ones are left out
// unless the query asks for them. A free function; network threads (the catalog's List is served
// from memory).
#pragma once

#include <string_view>

#include "net/http_types.h"
#include "ports/catalog.h"

namespace urna::app {

// 200 {"elections": [...]} for `query` "" or "archived=exclude" (archived ones left out),
// "archived=include" (all) or "archived=only"; any other query is a 400 naming the three.
net::HttpResponse ElectionListResponse(Catalog& catalog, std::string_view query);

}  // namespace urna::app
