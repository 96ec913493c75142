// Web pages (web/, embedded in the binary) and the two small endpoints they use:
// GET /v1/info and, in --demo mode only, POST /v1/demo/token.
#include <algorithm>

#include "app/api.h"
#include "app/json_util.h"
#include "app/web_assets.h"

namespace urna::app {
namespace json = boost::json;
namespace {

std::string_view ContentType(std::string_view name) {
  if (name.ends_with(".html")) return "text/html; charset=utf-8";
  if (name.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (name.ends_with(".css")) return "text/css; charset=utf-8";
  if (name.ends_with(".svg")) return "image/svg+xml";
  if (name.ends_with(".txt")) return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

net::HttpResponse Asset(std::string_view name) {
  auto it = WebAssets().find(name);
  if (it == WebAssets().end()) return net::ErrorResponse(404, "not_found", "no such file");
  auto r = net::Response(200, std::string(ContentType(name)), std::string(it->second));
  r.headers.emplace_back("Cache-Control", "no-cache");
  return r;
}

}  // namespace

net::HttpResponse WebAssetResponse(std::string_view name) { return Asset(name); }

void Api::GetIndexPage(Request&, Params&, Responder respond) { respond(Asset("index.html")); }

void Api::GetVotePage(Request&, Params&, Responder respond) { respond(Asset("vote.html")); }

void Api::GetAdminPage(Request&, Params&, Responder respond) { respond(Asset("admin.html")); }

void Api::GetStatic(Request&, Params& p, Responder respond) { respond(Asset(p[0])); }

void Api::GetInfo(Request&, Params&, Responder respond) {
  respond(JsonResponse(200, json::object{{"demo", deps_.demo}}));
}

void Api::PostDemoToken(Request& req, Params&, Responder respond) {
  if (!deps_.demo) return respond(net::ErrorResponse(404, "not_found", "demo sign-in is off"));
  auto body = ParseObject(req.body);
  if (!body.ok()) return respond(StatusResponse(body.status()));
  auto* voter = body->if_contains("voter");
  if (voter == nullptr || !voter->is_string()) {
    return respond(StatusResponse({Code::kInvalidArgument, "voter must be a string"}));
  }
  std::chrono::seconds ttl = std::chrono::hours(12);  // within --max-token-ttl
  if (auto max = deps_.voter_tokens.policy().max_lifetime; max.count() > 0) {
    ttl = std::min(ttl, max);
  }
  auto token = deps_.voter_tokens.Mint(voter->as_string(), ttl, wall_clock_.NowMs() / 1000);
  if (!token.ok()) return respond(StatusResponse(token.status()));
  respond(JsonResponse(200, json::object{{"token", *token}}));
}

}  // namespace urna::app
