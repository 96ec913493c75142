// The files of web/, embedded at build time (cmake/embed_web.cmake): name -> bytes.
#pragma once

#include <map>
#include <string_view>

#include "net/http_types.h"

namespace urna::app {

const std::map<std::string_view, std::string_view>& WebAssets();

// The answer serving the file `name` of web/ (404 when there is none): web_routes.cc, used by
// `urna serve` / `urna ingest` (Api) and `urna results` (ResultServerApi) alike.
net::HttpResponse WebAssetResponse(std::string_view name);

}  // namespace urna::app
