// POST /v1/admin/backup (docs/api.md "Backup"): an online backup of `urna serve` into a new
// directory under its --backup-dir (app/backup.h), made on the backup thread, one at a time.
#include <boost/json/object.hpp>

#include <string>

#include "app/api.h"
#include "app/backup.h"
#include "app/json_util.h"
#include "app/strict_json.h"

namespace urna::app {

void Api::PostBackup(Request& req, Params&, Responder respond) {
  if (auto s = Admin(req); !s.ok()) return respond(StatusResponse(s));
  if (deps_.backups == nullptr) {
    return respond(
        net::ErrorResponse(404, "not_found", "this server makes no backups (urna serve does)"));
  }
  auto body = ParseObject(req.body);
  if (!body.ok()) return respond(StatusResponse(body.status()));
  if (auto s = RejectUnknownFields(*body, {"to"}); !s.ok()) return respond(StatusResponse(s));
  const auto* to = body->if_contains("to");
  if (to == nullptr || !to->is_string() || to->as_string().empty()) {
    return respond(net::ErrorResponse(400, "invalid_request",
                                      "send {\"to\": NAME}: a new directory under --backup-dir"));
  }
  std::string name(to->as_string());
  // The name alone (no filesystem call here): a bad one is answered at once.
  if (auto where = deps_.backups->Target(name); !where.ok()) {
    return respond(StatusResponse(where.status()));
  }
  auto started = deps_.backups->Start(name, [respond](Result<std::string> made, double seconds) {
    if (!made.ok()) return respond(StatusResponse(made.status()));
    respond(JsonResponse(201, boost::json::object{{"path", *made}, {"seconds", seconds}}));
  });
  if (started.code() == Code::kConflict) {
    return respond(net::ErrorResponse(409, "backup_in_progress", started.message()));
  }
  if (!started.ok()) return respond(StatusResponse(started));
}

}  // namespace urna::app
