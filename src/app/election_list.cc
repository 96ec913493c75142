#include "app/election_list.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "app/json_util.h"

namespace urna::app {
namespace json = boost::json;

net::HttpResponse ElectionListResponse(Catalog& catalog, std::string_view query) {
  enum { kExclude, kInclude, kOnly } archived = kExclude;
  if (query == "archived=include") {
    archived = kInclude;
  } else if (query == "archived=only") {
    archived = kOnly;
  } else if (!query.empty() && query != "archived=exclude") {
    return StatusResponse({Code::kInvalidArgument,
                           "query must be archived=exclude, archived=include or archived=only"});
  }
  json::array list;
  for (const auto& e : catalog.List()) {
    const bool is_archived = e->archived_at_ms != 0;
    if (archived == kExclude && is_archived) continue;
    if (archived == kOnly && !is_archived) continue;
    list.push_back(ElectionJson(*e));
  }
  return JsonResponse(200, json::object{{"elections", std::move(list)}});
}

}  // namespace urna::app
