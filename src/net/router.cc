#include "net/router.h"

#include <array>
#include <cstdlib>

#include "core/hex.h"

namespace urna::net {
namespace {

// Calls emit(segment) for each non-empty '/'-separated segment of `path`, in order.
template <typename Emit>
void ForEachSegment(std::string_view path, Emit&& emit) {
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    emit(path.substr(i, j - i));
    i = j;
  }
}

// More segments than any route has: such a path is not found without looking further. Handle
// splits into a fixed array (no allocation per request).
constexpr size_t kMaxSegments = 16;

void AppendEscaped(std::string& out, std::string_view s) {
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (u < 0x20) {
      out += "\\u00";
      AppendHexByte(out, u);
    } else {
      out.push_back(c);
    }
  }
}

// "GET, HEAD, OPTIONS": the methods of a resource, OPTIONS always among them.
template <typename Map>
std::string AllowHeader(const Map& by_method) {
  std::string allow;
  for (const auto& [m, fn] : by_method) allow += (allow.empty() ? "" : ", ") + m;
  if (!by_method.contains("OPTIONS")) allow += (allow.empty() ? "" : ", ") + std::string("OPTIONS");
  return allow;
}

}  // namespace

HttpResponse ErrorResponse(unsigned status, std::string_view code, std::string_view message) {
  HttpResponse r;
  r.status = status;
  r.body = "{\"error\":{\"code\":\"";
  AppendEscaped(r.body, code);
  r.body += "\",\"message\":\"";
  AppendEscaped(r.body, message);
  r.body += "\"}}";
  return r;
}

void Router::Add(std::string method, std::string_view pattern, Route route) {
  std::vector<std::string> segs;
  ForEachSegment(pattern, [&segs](std::string_view s) {
    segs.emplace_back(s.starts_with('{') ? "{}" : std::string(s));
  });
  if (segs.size() > kMaxSegments) std::abort();  // a programming error: no request could match
  for (auto& e : entries_) {
    if (e.segments == segs) {
      e.by_method[std::move(method)] = std::move(route);
      return;
    }
  }
  Entry e{std::string(pattern), std::move(segs), {}};
  e.by_method[std::move(method)] = std::move(route);
  entries_.push_back(std::move(e));
}

int Router::Match(std::string_view path) const {
  std::array<std::string_view, kMaxSegments> parts;
  size_t n = 0;
  bool too_long = false;
  ForEachSegment(path, [&](std::string_view s) {
    if (n < parts.size()) {
      parts[n++] = s;
    } else {
      too_long = true;
    }
  });
  if (too_long) return -1;
  for (size_t k = 0; k < entries_.size(); ++k) {
    const auto& e = entries_[k];
    if (e.segments.size() != n) continue;
    bool match = true;
    for (size_t i = 0; i < n && match; ++i) {
      match = e.segments[i] == "{}" || e.segments[i] == parts[i];
    }
    if (match) return static_cast<int>(k);
  }
  return -1;
}

void Router::Handle(HttpRequest request, Responder respond) {
  std::array<std::string_view, kMaxSegments> parts;
  size_t n = 0;
  bool too_long = false;
  ForEachSegment(request.path, [&](std::string_view s) {
    if (n < parts.size()) {
      parts[n++] = s;
    } else {
      too_long = true;
    }
  });
  for (auto& e : entries_) {
    if (too_long || e.segments.size() != n) continue;
    bool match = true;
    for (size_t i = 0; i < n && match; ++i) {
      match = e.segments[i] == "{}" || e.segments[i] == parts[i];
    }
    if (!match) continue;
    // Only the matching route's parameters are copied out.
    PathParams params;
    for (size_t i = 0; i < n; ++i) {
      if (e.segments[i] == "{}") params.emplace_back(parts[i]);
    }
    auto it = e.by_method.find(request.method);
    if (it == e.by_method.end() && request.method == "OPTIONS") {
      // OPTIONS on a known resource: what it allows (CORS preflights are answered before the
      // router, app/cors.h).
      HttpResponse r;
      r.status = 204;
      r.content_type = "text/plain";
      r.headers.emplace_back("Allow", AllowHeader(e.by_method));
      return respond(std::move(r));
    }
    if (it == e.by_method.end()) {
      auto r = ErrorResponse(405, "method_not_allowed",
                             request.method + " is not allowed on this resource");
      r.headers.emplace_back("Allow", AllowHeader(e.by_method));
      return respond(std::move(r));
    }
    return it->second(request, params, std::move(respond));
  }
  respond(ErrorResponse(404, "not_found", "no such resource"));
}

}  // namespace urna::net
