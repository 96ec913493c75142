#include "app/cors.h"

#include <algorithm>
#include <cctype>

namespace urna::app {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// `scheme://host[:port]` with http or https and a non-empty host of letters, digits, - . and
// IPv6 brackets; no path, query, user or trailing slash.
bool IsOrigin(std::string_view o) {
  std::string_view rest;
  if (o.starts_with("http://")) {
    rest = o.substr(7);
  } else if (o.starts_with("https://")) {
    rest = o.substr(8);
  } else {
    return false;
  }
  if (rest.empty()) return false;
  return std::all_of(rest.begin(), rest.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == ':' ||
           c == '[' || c == ']';
  });
}

// The host[:port] of an origin (after "://").
std::string_view Authority(std::string_view origin) {
  size_t p = origin.find("://");
  return p == std::string_view::npos ? std::string_view() : origin.substr(p + 3);
}

// Request headers a reader may send: conditional GETs, an EventSource's reconnect, content
// negotiation. The one list both the check and Access-Control-Allow-Headers are made from.
constexpr std::string_view kHeaderList[] = {"If-None-Match", "Last-Event-ID", "Cache-Control",
                                            "Accept", "Accept-Language"};

std::string AllowedHeaders() {
  std::string out;
  for (std::string_view h : kHeaderList) out += (out.empty() ? "" : ", ") + std::string(h);
  return out;
}

bool HeaderAllowed(std::string_view name) {
  std::string n = Lower(Trim(name));
  if (n.empty()) return true;  // "a, , b"
  return std::any_of(std::begin(kHeaderList), std::end(kHeaderList),
                     [&n](std::string_view h) { return Lower(h) == n; });
}

bool IsResults(std::string_view path) {
  return path.ends_with("/results") && CorsPolicy::IsPublicRead(path);
}

}  // namespace

Result<CorsPolicy> CorsPolicy::Parse(std::string_view flag) {
  CorsPolicy p;
  flag = Trim(flag);
  if (flag.empty()) return p;
  if (flag == "*") {
    p.any_ = true;
    return p;
  }
  while (!flag.empty()) {
    size_t comma = flag.find(',');
    std::string_view item = Trim(flag.substr(0, comma));
    flag = comma == std::string_view::npos ? std::string_view() : flag.substr(comma + 1);
    if (item.empty()) continue;
    if (!IsOrigin(item)) {
      return Status(Code::kInvalidArgument,
                    "--cors-origins: \"" + std::string(item) +
                        "\" is not an origin (scheme://host[:port], http or https, no path), "
                        "nor `*` alone");
    }
    p.origins_.push_back(Lower(item));
  }
  return p;
}

std::optional<std::string> CorsPolicy::AllowOrigin(std::string_view origin) const {
  if (any_) return "*";
  if (origin.empty()) return std::nullopt;
  std::string o = Lower(origin);
  if (std::find(origins_.begin(), origins_.end(), o) == origins_.end()) return std::nullopt;
  return std::string(origin);
}

bool CorsPolicy::WebSocketAllowed(std::string_view origin, std::string_view host) const {
  if (!enabled() || any_ || origin.empty()) return true;  // none: no check, as before the flag
  if (AllowOrigin(origin)) return true;
  return !host.empty() && Lower(Authority(origin)) == Lower(host);  // the server's own pages
}

bool CorsPolicy::IsPublicRead(std::string_view path) {
  constexpr std::string_view kPrefix = "/v1/elections";
  if (!path.starts_with(kPrefix)) return false;
  std::string_view rest = path.substr(kPrefix.size());
  if (rest.empty() || rest == "/") return true;  // the list
  if (rest.front() != '/') return false;
  rest.remove_prefix(1);
  size_t slash = rest.find('/');
  if (slash == 0) return false;
  if (slash == std::string_view::npos) return true;  // one election
  std::string_view tail = rest.substr(slash);
  return tail == "/results" || tail == "/results/stream" || tail == "/results/ws";
}

std::string_view CorsPolicy::MethodsFor(std::string_view path) {
  if (!IsPublicRead(path)) return {};
  // HEAD only where a route takes it (api.cc, result_server_api.cc): elsewhere it is a 405.
  return IsResults(path) ? "GET, HEAD, OPTIONS" : "GET, OPTIONS";
}

std::optional<net::HttpResponse> CorsPolicy::Answer(const net::HttpRequest& req) const {
  if (req.websocket && !WebSocketAllowed(req.origin, req.host)) {
    return net::ErrorResponse(
        403, "forbidden",
        "WebSocket from origin " + req.origin + " is not allowed here (--cors-origins)");
  }
  // A preflight: OPTIONS with Access-Control-Request-Method. Without CORS the router answers
  // OPTIONS (its Allow header) and browsers refuse the cross-origin read.
  if (req.method != "OPTIONS" || req.access_control_request_method.empty() || !enabled()) {
    return std::nullopt;
  }
  auto allow = AllowOrigin(req.origin);
  if (!allow) {
    return net::ErrorResponse(403, "forbidden",
                              "origin " + req.origin + " may not read this (--cors-origins)");
  }
  const std::string& m = req.access_control_request_method;
  const bool results = IsResults(req.path);
  if (m != "GET" && !(m == "HEAD" && results)) {
    return net::ErrorResponse(403, "forbidden",
                              "cross-origin " + m + " is not allowed here: only " +
                                  std::string(results ? "GET and HEAD" : "GET"));
  }
  std::string_view asked = req.access_control_request_headers;
  while (!asked.empty()) {
    size_t comma = asked.find(',');
    if (!HeaderAllowed(asked.substr(0, comma))) {
      return net::ErrorResponse(403, "forbidden",
                                "request header " + std::string(Trim(asked.substr(0, comma))) +
                                    " is not allowed cross-origin; allowed: " + AllowedHeaders());
    }
    asked = comma == std::string_view::npos ? std::string_view() : asked.substr(comma + 1);
  }
  net::HttpResponse r;
  r.status = 204;
  r.content_type = "text/plain";
  Decorate(allow, r);
  r.headers.emplace_back("Access-Control-Allow-Methods", std::string(MethodsFor(req.path)));
  r.headers.emplace_back("Access-Control-Allow-Headers", AllowedHeaders());
  r.headers.emplace_back("Access-Control-Max-Age", "600");
  return r;
}

void CorsPolicy::Decorate(const std::optional<std::string>& allow, net::HttpResponse& r) const {
  if (!any_) r.headers.emplace_back("Vary", "Origin");  // caches keep one answer per origin
  if (!allow) return;
  r.headers.emplace_back("Access-Control-Allow-Origin", *allow);
  r.headers.emplace_back("Access-Control-Expose-Headers", "ETag");
}

}  // namespace urna::app
