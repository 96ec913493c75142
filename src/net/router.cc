#include "net/router.h"

#include "core/hex.h"

namespace urna::net {
namespace {

std::vector<std::string_view> Split(std::string_view path) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.push_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

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
  for (auto s : Split(pattern)) segs.emplace_back(s.starts_with('{') ? "{}" : std::string(s));
  for (auto& e : entries_) {
    if (e.segments == segs) {
      e.by_method[std::move(method)] = std::move(route);
      return;
    }
  }
  Entry e{std::move(segs), {}};
  e.by_method[std::move(method)] = std::move(route);
  entries_.push_back(std::move(e));
}

void Router::Handle(HttpRequest request, Responder respond) {
  auto parts = Split(request.path);
  for (auto& e : entries_) {
    if (e.segments.size() != parts.size()) continue;
    PathParams params;
    bool match = true;
    for (size_t i = 0; i < parts.size() && match; ++i) {
      if (e.segments[i] == "{}") {
        params.emplace_back(parts[i]);
      } else {
        match = e.segments[i] == parts[i];
      }
    }
    if (!match) continue;
    auto it = e.by_method.find(request.method);
    if (it == e.by_method.end()) {
      auto r = ErrorResponse(405, "method_not_allowed",
                             request.method + " is not allowed on this resource");
      std::string allow;
      for (const auto& [m, fn] : e.by_method) allow += (allow.empty() ? "" : ", ") + m;
      r.headers.emplace_back("Allow", allow);
      return respond(std::move(r));
    }
    return it->second(request, params, std::move(respond));
  }
  respond(ErrorResponse(404, "not_found", "no such resource"));
}

}  // namespace urna::net
