// Recount and audit routes (docs/api.md): start and follow a recount, read the audit report,
// export the ledger (pseudonymised) as CSV, print the report as HTML. All admin-only.
#include "app/api.h"
#include "app/audit_render.h"
#include "app/json_util.h"
#include "app/strict_json.h"
#include "audit/ledger_export.h"
#include "audit/recount.h"

namespace urna::app {

void Api::PostRecount(Request& req, Params& p, Responder respond) {
  if (auto s = Admin(req); !s.ok()) return respond(StatusResponse(s));
  if (auto s = RejectBody(req.body); !s.ok()) return respond(StatusResponse(s));
  auto e = deps_.catalog.Get(p[0]);
  if (!e.ok()) return respond(StatusResponse(e.status()));
  if (auto s = CheckClosedFor(**e, kRecountWhat); !s.ok()) return respond(StatusResponse(s));
  auto view = recounts_.Start(p[0]);
  auto r = JsonResponse(view.running ? 202 : 200, JobJson(p[0], view));
  r.headers.emplace_back("Location", "/v1/elections/" + p[0] + "/recount");
  respond(std::move(r));
}

void Api::GetRecount(Request& req, Params& p, Responder respond) {
  if (auto s = Admin(req); !s.ok()) return respond(StatusResponse(s));
  auto view = recounts_.Get(p[0]);
  if (!view) return respond(StatusResponse({Code::kNotFound, "no recount of " + p[0] + " yet"}));
  respond(JsonResponse(200, JobJson(p[0], *view)));
}

Result<RecountReport> Api::LastReport(const std::string& id) {
  auto view = recounts_.Get(id);
  if (!view) {
    return Status(Code::kNotFound,
                  "no recount of " + id + " yet: POST /v1/elections/" + id + "/recount");
  }
  if (view->running) return Status(Code::kConflict, "the recount of " + id + " is running");
  if (!view->report) {
    return Status(Code::kConflict, "the last recount failed: " + view->error.message());
  }
  return *view->report;
}

void Api::GetAudit(Request& req, Params& p, Responder respond) {
  if (auto s = Admin(req); !s.ok()) return respond(StatusResponse(s));
  auto r = LastReport(p[0]);
  respond(r.ok() ? JsonResponse(200, ReportJson(*r)) : StatusResponse(r.status()));
}

void Api::GetAuditHtml(Request& req, Params& p, Responder respond) {
  if (auto s = Admin(req); !s.ok()) return respond(StatusResponse(s));
  auto r = LastReport(p[0]);
  if (!r.ok()) return respond(StatusResponse(r.status()));
  respond(net::Response(200, "text/html; charset=utf-8", ReportHtml(*r)));
}

// Streamed (LedgerStreams): memory stays bounded however large the ledger. Only once the
// election is closed: before that the ledger is still growing, and every export would be a
// full scan competing with the votes.
void Api::GetLedgerCsv(Request& req, Params& p, Responder respond) {
  if (auto s = Admin(req); !s.ok()) return respond(StatusResponse(s));
  auto e = deps_.catalog.Get(p[0]);
  if (!e.ok()) return respond(StatusResponse(e.status()));
  if (auto s = CheckClosedFor(**e, "the ledger export"); !s.ok()) {
    return respond(StatusResponse(s));
  }
  ledger_streams_.Start(deps_.ledger, deps_.audit_key, p[0], deps_.export_buffer_rows,
                        std::move(respond));
}

}  // namespace urna::app
