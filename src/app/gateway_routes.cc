// Trusted gateway routes: create (the secret is shown once) and revoke (docs/api.md "Trusted
// gateway batches"). Admin only; the store is written off the network threads, then this node's
// registry is updated, so a revoked gateway's next batch here is refused.
#include <spdlog/spdlog.h>

#include "app/api.h"
#include "app/json_util.h"
#include "app/strict_json.h"

namespace urna::app {
namespace json = boost::json;

namespace {

// Reads {"id": string, "elections": [string, ...] (optional: all)} into a Gateway.
Result<Gateway> GatewayFromJson(const std::string& body) {
  auto o = ParseObject(body);
  if (!o.ok()) return o.status();
  Gateway g;
  auto* id = o->if_contains("id");
  if (id == nullptr || !id->is_string() || !IsValidId(id->as_string())) {
    return Status(Code::kInvalidArgument,
                  "id must be 1-64 characters of A-Z a-z 0-9 _ - . (not . or ..)");
  }
  g.id = std::string(id->as_string());
  if (auto* es = o->if_contains("elections"); es != nullptr && !es->is_null()) {
    if (!es->is_array() || es->as_array().empty()) {
      return Status(Code::kInvalidArgument,
                    "elections must be a non-empty array of election ids (leave it out for all)");
    }
    for (const auto& e : es->as_array()) {
      if (!e.is_string() || !IsValidId(e.as_string())) {
        return Status(Code::kInvalidArgument, "elections must hold election ids");
      }
      g.elections.emplace_back(e.as_string());
    }
  }
  if (auto s = RejectUnknownFields(*o, {"id", "elections"}); !s.ok()) return s;
  return g;
}

json::object GatewayJson(const Gateway& g) {
  json::value elections = nullptr;  // all
  if (!g.elections.empty()) {
    json::array a;
    for (const auto& e : g.elections) a.emplace_back(e);
    elections = std::move(a);
  }
  return json::object{{"id", g.id},
                      {"elections", std::move(elections)},
                      {"created_at", TimeJson(g.created_at_ms)},
                      {"revoked_at", TimeJson(g.revoked_at_ms)}};
}

}  // namespace

void Api::PostGateway(Request& req, Params&, Responder respond) {
  if (auto s = Admin(req); !s.ok()) return respond(StatusResponse(s));
  if (deps_.gateways == nullptr || deps_.gateway_registry == nullptr) {
    return respond(net::ErrorResponse(404, "not_found", "this server takes no gateways"));
  }
  auto g = GatewayFromJson(req.body);
  if (!g.ok()) return respond(StatusResponse(g.status()));
  std::string secret = GatewayRegistry::NewSecret();
  g->secret_sha256 = GatewayRegistry::HashSecret(secret);
  g->created_at_ms = deps_.clock.NowMs();
  OffThread(std::move(respond), [this, g = std::move(*g), secret = std::move(secret)] {
    if (auto s = deps_.gateways->Create(g); !s.ok()) return StatusResponse(s);
    deps_.gateway_registry->Put(g);
    spdlog::info("gateway {} created ({} elections)", g.id,
                 g.elections.empty() ? std::string("all") : std::to_string(g.elections.size()));
    json::object o = GatewayJson(g);
    o["secret"] = secret;  // shown this once: only its hash is stored
    auto r = JsonResponse(201, o);
    r.headers.emplace_back("Location", "/v1/gateways/" + g.id);
    r.headers.emplace_back("Cache-Control", "no-store");
    return r;
  });
}

void Api::DeleteGateway(Request& req, Params& p, Responder respond) {
  if (auto s = Admin(req); !s.ok()) return respond(StatusResponse(s));
  if (auto s = RejectBody(req.body); !s.ok()) return respond(StatusResponse(s));
  if (deps_.gateways == nullptr || deps_.gateway_registry == nullptr) {
    return respond(net::ErrorResponse(404, "not_found", "this server takes no gateways"));
  }
  OffThread(std::move(respond), [this, id = p[0]] {
    auto g = deps_.gateways->Revoke(id, deps_.clock.NowMs());
    if (!g.ok()) return StatusResponse(g.status());
    deps_.gateway_registry->Put(*g);
    spdlog::info("gateway {} revoked", g->id);
    return JsonResponse(200, GatewayJson(*g));
  });
}

}  // namespace urna::app
