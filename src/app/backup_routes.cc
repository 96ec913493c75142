// POST /v1/admin/backup (docs/api.md "Backup"): an online backup of `urna serve` into a new
// directory under its --backup-dir (app/backup.h), made off the network threads.
#include <spdlog/spdlog.h>
#include <boost/json/object.hpp>

#include <chrono>

#include "app/api.h"
#include "app/backup.h"
#include "app/json_util.h"

namespace urna::app {

void Api::PostBackup(Request& req, Params&, Responder respond) {
  if (auto s = Admin(req); !s.ok()) return respond(StatusResponse(s));
  if (deps_.backups == nullptr) {
    return respond(
        net::ErrorResponse(404, "not_found", "this server makes no backups (urna serve does)"));
  }
  auto body = ParseObject(req.body);
  if (!body.ok()) return respond(StatusResponse(body.status()));
  for (const auto& kv : *body) {
    if (kv.key() != "to") {
      return respond(net::ErrorResponse(400, "invalid_request",
                                        "unknown field \"" + std::string(kv.key()) + "\""));
    }
  }
  const auto* to = body->if_contains("to");
  if (to == nullptr || !to->is_string() || to->as_string().empty()) {
    return respond(net::ErrorResponse(400, "invalid_request",
                                      "send {\"to\": NAME}: a new directory under --backup-dir"));
  }
  // Checked here too, so a bad name is answered at once, not after a queue of storage calls.
  if (auto where = deps_.backups->Resolve(std::string(to->as_string())); !where.ok()) {
    return respond(StatusResponse(where.status()));
  }
  OffThread(std::move(respond), [this, to = std::string(to->as_string())] {
    auto start = std::chrono::steady_clock::now();
    auto made = deps_.backups->Create(to);
    if (!made.ok()) return StatusResponse(made.status());
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return JsonResponse(201, boost::json::object{{"path", *made}, {"seconds", seconds}});
  });
}

}  // namespace urna::app
