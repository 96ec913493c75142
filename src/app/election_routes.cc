// Election routes: create, list, get, open, close (docs/api.md). Status changes go through the
// ElectionLifecycle (ports/election_lifecycle.h), which owns them.
#include "app/api.h"
#include "app/election_spec.h"
#include "app/json_util.h"

namespace urna::app {
namespace json = boost::json;

namespace {

net::HttpResponse ElectionResponse(Result<Election> e) {
  return e.ok() ? JsonResponse(200, ElectionJson(*e)) : StatusResponse(e.status());
}

}  // namespace

void Api::PostElection(Request& req, Params&, Responder respond) {
  if (auto s = Admin(req); !s.ok()) return respond(StatusResponse(s));
  auto e = ParseElectionSpec(req.body);
  if (!e.ok()) return respond(StatusResponse(e.status()));
  e->created_at_ms = deps_.clock.NowMs();
  if (auto s = ValidateSchedule(*e, e->created_at_ms); !s.ok()) return respond(StatusResponse(s));
  OffThread(std::move(respond), [this, e = std::move(*e)] {
    if (auto s = deps_.catalog.Create(e); !s.ok()) return StatusResponse(s);
    auto r = JsonResponse(201, ElectionJson(e));
    r.headers.emplace_back("Location", "/v1/elections/" + e.id);
    return r;
  });
}

void Api::GetElections(Request&, Params&, Responder respond) {
  json::array list;
  for (const auto& e : deps_.catalog.List()) list.push_back(ElectionJson(*e));
  respond(JsonResponse(200, json::object{{"elections", std::move(list)}}));
}

void Api::GetElection(Request&, Params& p, Responder respond) {
  auto e = deps_.catalog.Get(p[0]);
  if (!e.ok()) return respond(StatusResponse(e.status()));
  respond(JsonResponse(200, ElectionJson(**e)));
}

void Api::PostOpen(Request& req, Params& p, Responder respond) {
  if (auto s = Admin(req); !s.ok()) return respond(StatusResponse(s));
  OffThread(std::move(respond),
            [this, id = p[0]] { return ElectionResponse(deps_.lifecycle.Open(id)); });
}

// Ingest stops taking the election's votes, then the seal goes into the log; answered once the
// seal is durable.
void Api::PostClose(Request& req, Params& p, Responder respond) {
  if (auto s = Admin(req); !s.ok()) return respond(StatusResponse(s));
  OffThread(std::move(respond),
            [this, id = p[0]] { return ElectionResponse(deps_.lifecycle.Close(id)); });
}

}  // namespace urna::app
