// Router: maps (method, path pattern) to a handler; patterns use {name} for one path segment.
// Unknown paths get 404 not_found, known paths with another method 405 method_not_allowed.
// Built at start-up, then read-only: thread-safe.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "net/http_types.h"

namespace urna::net {

// Values of the {name} segments, in pattern order.
using PathParams = std::vector<std::string>;

class Router final : public HttpHandler {
 public:
  using Route = std::function<void(HttpRequest&, PathParams&, Responder)>;

  void Add(std::string method, std::string_view pattern, Route route);
  void Handle(HttpRequest request, Responder respond) override;

  // For metrics labels (a bounded set, unlike paths): the patterns added, in order, and the index
  // of the one `path` matches, whatever the method; -1 when none does.
  size_t pattern_count() const { return entries_.size(); }
  const std::string& pattern(size_t i) const { return entries_[i].pattern; }
  int Match(std::string_view path) const;

 private:
  struct Entry {
    std::string pattern;                // as added, e.g. "/v1/elections/{id}"
    std::vector<std::string> segments;  // "{}" for a parameter
    std::map<std::string, Route> by_method;
  };
  std::vector<Entry> entries_;
};

}  // namespace urna::net
