// CorsPolicy: cross-origin reads of the public read endpoints (docs/api.md "Cross-origin reads"),
// set by `--cors-origins` on `urna serve`, `urna ingest` and `urna results`: none (the default: no
// CORS headers, browsers on other origins cannot read), `*` (any origin), or a comma list of
// origins (`https://graphics.example,http://localhost:8080`). Public read endpoints: the
// elections list and one election (GET), the results snapshot (GET, HEAD), its SSE stream and its
// WebSocket (GET). On them it answers the OPTIONS preflight (204 with the route's own methods, or
// 403 for an origin, a method or a header it does not allow), adds Access-Control-Allow-Origin to
// their GET and HEAD answers, and refuses (403) a WebSocket handshake whose Origin is neither
// listed nor the server's own (same host as the Host header). No other request gets CORS headers:
// other routes, and the writes that share a public read's path (POST /v1/elections), stay
// same-origin.
// Built at start-up, then read-only: any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "net/http_types.h"

namespace urna::app {

class CorsPolicy {
 public:
  CorsPolicy() = default;  // none
  // "" = none; "*" = any; else origins `scheme://host[:port]` (http or https, no path), comma
  // separated. kInvalidArgument naming the bad entry.
  static Result<CorsPolicy> Parse(std::string_view flag);

  bool enabled() const { return any_ || !origins_.empty(); }
  // The Access-Control-Allow-Origin value for a request from `origin`, or nothing.
  std::optional<std::string> AllowOrigin(std::string_view origin) const;
  // A WebSocket handshake from `origin` (maybe empty: not a browser) to `host` may proceed.
  bool WebSocketAllowed(std::string_view origin, std::string_view host) const;

  // True when `path` is one of the public read endpoints (whatever the method).
  static bool IsPublicRead(std::string_view path);
  // The methods a cross-origin page may use on `path` ("GET, HEAD, OPTIONS" on the results
  // snapshot, "GET, OPTIONS" on the other public reads: the routes' own), "" off them.
  static std::string_view MethodsFor(std::string_view path);
  // Handles `req` for the handler `next`: preflights and refused WebSockets answered here, the
  // public reads' GET and HEAD passed on with their answer decorated. Every other request (other
  // paths, other methods) goes to `next` untouched.
  template <typename Next>
  void Handle(net::HttpRequest req, net::Responder respond, Next&& next) const {
    if (!IsPublicRead(req.path)) return next(std::move(req), std::move(respond));
    if (auto early = Answer(req)) return respond(std::move(*early));
    if (!enabled() || (req.method != "GET" && req.method != "HEAD")) {
      return next(std::move(req), std::move(respond));
    }
    auto allow = AllowOrigin(req.origin);
    next(std::move(req),
         [this, allow = std::move(allow), respond = std::move(respond)](net::HttpResponse r) {
           Decorate(allow, r);
           respond(std::move(r));
         });
  }

 private:
  // The preflight's answer or a refused WebSocket's, else nothing.
  std::optional<net::HttpResponse> Answer(const net::HttpRequest& req) const;
  void Decorate(const std::optional<std::string>& allow, net::HttpResponse& r) const;

  bool any_ = false;
  std::vector<std::string> origins_;  // lower case
};

}  // namespace urna::app
