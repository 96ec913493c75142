// The narrow interface between the network layer and the services behind it: a request as
// plain strings, a response, and a handler. Nothing here depends on Beast.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace urna::net {

struct HttpRequest {
  std::string method;         // "GET", "POST", ...
  std::string path;           // without the query string
  std::string query;          // after '?', may be empty
  std::string authorization;  // the Authorization header, may be empty
  std::string content_type;
  std::string if_none_match;
  std::string body;
};

struct HttpResponse {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Completes a request. Call exactly once, from any thread.
using Responder = std::function<void(HttpResponse)>;

// What the server hands each parsed request to. Runs on a network thread: must not block.
class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  virtual void Handle(HttpRequest request, Responder respond) = 0;
};

// {"error":{"code":...,"message":...}} with `message` JSON-escaped.
HttpResponse ErrorResponse(unsigned status, std::string_view code, std::string_view message);

}  // namespace urna::net
