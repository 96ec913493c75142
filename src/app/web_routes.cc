// Web pages (web/, embedded in the binary, in the request's language: app/web_pages.h) and the
// two small endpoints they use: GET /v1/info and, in --demo mode only, POST /v1/demo/token.
#include <algorithm>

#include "app/api.h"
#include "app/json_util.h"
#include "app/strict_json.h"
#include "app/web_assets.h"
#include "app/web_pages.h"

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

}  // namespace

net::HttpResponse WebAssetResponse(std::string_view name) {
  auto it = WebAssets().find(name);
  if (it == WebAssets().end()) return net::ErrorResponse(404, "not_found", "no such file");
  auto r = net::Response(200, std::string(ContentType(name)), std::string(it->second));
  r.headers.emplace_back("Cache-Control", "no-cache");
  return r;
}

void Api::GetIndexPage(Request& req, Params&, Responder respond) {
  respond(PageResponse("index.html", req.accept_language));
}

// An election's page, or the not-found page (404) when there is no such election.
void Api::ElectionPage(Request& req, Params& p, Responder respond, std::string_view file) {
  respond(ElectionPageResponse(deps_.catalog, p[0], file, req.accept_language));
}

void Api::GetVotePage(Request& req, Params& p, Responder respond) {
  ElectionPage(req, p, std::move(respond), "vote.html");
}

void Api::GetPresentPage(Request& req, Params& p, Responder respond) {
  ElectionPage(req, p, std::move(respond), "present.html");
}

void Api::GetAdminPage(Request& req, Params&, Responder respond) {
  respond(PageResponse("admin.html", req.accept_language));
}

void Api::GetStatic(Request&, Params& p, Responder respond) { respond(WebAssetResponse(p[0])); }

void Api::GetFavicon(Request&, Params&, Responder respond) {
  respond(WebAssetResponse("favicon.svg"));
}

void Api::GetInfo(Request&, Params&, Responder respond) {
  respond(JsonResponse(200, json::object{{"demo", deps_.demo}}));
}

// {"voter": id} signs in as that voter id; {"name": any text} as the id derived from the name
// (DemoVoterId), which the answer carries with the token.
void Api::PostDemoToken(Request& req, Params&, Responder respond) {
  if (!deps_.demo) return respond(net::ErrorResponse(404, "not_found", "demo sign-in is off"));
  auto body = ParseObject(req.body);
  if (!body.ok()) return respond(StatusResponse(body.status()));
  if (auto s = RejectUnknownFields(*body, {"voter", "name"}); !s.ok()) {
    return respond(StatusResponse(s));
  }
  auto* voter = body->if_contains("voter");
  auto* name = body->if_contains("name");
  if ((voter == nullptr) == (name == nullptr) || (voter != nullptr && !voter->is_string()) ||
      (name != nullptr && !name->is_string())) {
    return respond(StatusResponse(
        {Code::kInvalidArgument, "send either voter (a voter id) or name (any text), a string"}));
  }
  std::string id;
  if (voter != nullptr) {
    id = std::string(voter->as_string());
  } else {
    auto derived = DemoVoterId(name->as_string());
    if (!derived.ok()) return respond(StatusResponse(derived.status()));
    id = std::move(*derived);
  }
  std::chrono::seconds ttl = std::chrono::hours(12);  // within --max-token-ttl
  if (auto max = deps_.voter_tokens.policy().max_lifetime; max.count() > 0) {
    ttl = std::min(ttl, max);
  }
  auto token = deps_.voter_tokens.Mint(id, ttl, wall_clock_.NowMs() / 1000);
  if (!token.ok()) return respond(StatusResponse(token.status()));
  respond(JsonResponse(200, json::object{{"token", *token}, {"voter", id}}));
}

}  // namespace urna::app
