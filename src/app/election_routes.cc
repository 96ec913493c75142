// Election routes: create, list, get, open, close; admin: edit and delete a draft, archive a
// final election (docs/api.md). Status changes go through the
// ElectionLifecycle (ports/election_lifecycle.h), which owns them.
#include "app/api.h"
#include "app/election_list.h"
#include "app/election_spec.h"
#include "app/json_util.h"
#include "app/strict_json.h"

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

// Archived elections are left out unless `?archived=include` (all) or `?archived=only`.
void Api::GetElections(Request& req, Params&, Responder respond) {
  respond(ElectionListResponse(deps_.catalog, req.query));
}

void Api::GetElection(Request&, Params& p, Responder respond) {
  auto e = deps_.catalog.Get(p[0]);
  if (!e.ok()) return respond(StatusResponse(e.status()));
  respond(JsonResponse(200, ElectionJson(**e)));
}

void Api::PostOpen(Request& req, Params& p, Responder respond) {
  if (auto s = Admin(req); !s.ok()) return respond(StatusResponse(s));
  if (auto s = RejectBody(req.body); !s.ok()) return respond(StatusResponse(s));
  OffThread(std::move(respond),
            [this, id = p[0]] { return ElectionResponse(deps_.lifecycle.Open(id)); });
}

// Ingest stops taking the election's votes, then the seal goes into the log; answered once the
// seal is durable.
void Api::PostClose(Request& req, Params& p, Responder respond) {
  if (auto s = Admin(req); !s.ok()) return respond(StatusResponse(s));
  if (auto s = RejectBody(req.body); !s.ok()) return respond(StatusResponse(s));
  OffThread(std::move(respond),
            [this, id = p[0]] { return ElectionResponse(deps_.lifecycle.Close(id)); });
}

// admin: the body is a create body (the whole election; its id must be the path's), checked as
// at create (schedule included); only a draft can be edited.
void Api::PutElection(Request& req, Params& p, Responder respond) {
  if (auto s = Admin(req); !s.ok()) return respond(StatusResponse(s));
  auto e = ParseElectionSpec(req.body);
  if (!e.ok()) return respond(StatusResponse(e.status()));
  if (e->id != p[0]) {
    return respond(
        StatusResponse({Code::kInvalidArgument,
                        "id in the body (" + e->id + ") is not the path's (" + p[0] + ")"}));
  }
  // The schedule as at create: a draft's times are not yet reached (else it would be open).
  if (auto s = ValidateSchedule(*e, deps_.clock.NowMs()); !s.ok()) {
    return respond(StatusResponse(s));
  }
  OffThread(std::move(respond),
            [this, e = std::move(*e)] { return ElectionResponse(deps_.lifecycle.EditDraft(e)); });
}

// admin: only a draft (it never took a vote); 204.
void Api::DeleteElection(Request& req, Params& p, Responder respond) {
  if (auto s = Admin(req); !s.ok()) return respond(StatusResponse(s));
  if (auto s = RejectBody(req.body); !s.ok()) return respond(StatusResponse(s));
  OffThread(std::move(respond), [this, id = p[0]] {
    if (auto s = deps_.lifecycle.DeleteDraft(id); !s.ok()) return StatusResponse(s);
    net::HttpResponse r;
    r.status = 204;
    return r;
  });
}

// admin: only a final election; it stays readable by its id.
void Api::PostArchive(Request& req, Params& p, Responder respond) {
  if (auto s = Admin(req); !s.ok()) return respond(StatusResponse(s));
  if (auto s = RejectBody(req.body); !s.ok()) return respond(StatusResponse(s));
  OffThread(std::move(respond),
            [this, id = p[0]] { return ElectionResponse(deps_.lifecycle.Archive(id)); });
}

// admin: 200 {"admin": true} with the admin token, else the 401/403 every admin call answers;
// the admin page asks it to say at once whether the token typed is right.
void Api::GetAdminCheck(Request& req, Params&, Responder respond) {
  if (auto s = Admin(req); !s.ok()) return respond(StatusResponse(s));
  respond(JsonResponse(200, json::object{{"admin", true}}));
}

}  // namespace urna::app
