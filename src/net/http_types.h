// The narrow interface between the network layer and the services behind it: a request as
// plain strings, a response, and a handler. Nothing here depends on Beast.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/delivery_tracker.h"

namespace urna::net {

class BodyPipe;  // net/body_pipe.h

struct HttpRequest {
  std::string method;         // "GET", "POST", ...
  std::string path;           // without the query string
  std::string query;          // after '?', may be empty
  std::string authorization;  // the Authorization header, may be empty
  std::string content_type;
  std::string if_none_match;
  std::string accept_language;  // the pages' language (app/web_pages.h)
  // Cross-origin reads (app/cors.h): the Origin and Host headers and a preflight's
  // Access-Control-Request-Method / -Headers.
  std::string origin;
  std::string host;
  std::string access_control_request_method;
  std::string access_control_request_headers;
  // For the rate limits: every X-Forwarded-For header, joined by commas in order, and the
  // connection's remote address ("192.0.2.1", "2001:db8::1").
  std::string x_forwarded_for;
  std::string peer;

  bool websocket = false;  // a WebSocket upgrade request
  std::string body;
};

// A connection turned into a one-way push stream (SSE events or WebSocket text messages).
// Latest wins: while one message is being written, only the newest pending one is kept, so a
// slow reader costs at most two messages of memory; a reader stuck past a limit is closed.
// Push and closed() may be called from any thread.
class PushStream {
 public:
  virtual ~PushStream() = default;
  // `tracker` (may be null) is told whether this message was written or skipped for a newer
  // one (core/delivery_tracker.h): the results hub measures each broadcast with it.
  virtual void Push(std::shared_ptr<const std::string> message,
                    std::shared_ptr<DeliveryTracker> tracker) = 0;
  void Push(std::shared_ptr<const std::string> message) { Push(std::move(message), nullptr); }
  // A keep-alive (an SSE comment): written only if nothing else waits, so it never displaces
  // a message that carries data.
  virtual void PushKeepAlive(std::shared_ptr<const std::string> message) = 0;
  virtual bool closed() const = 0;
  // Closes the stream and drops what is pending; on the stream's own thread only (where
  // StreamUpgrade::on_open runs), e.g. when on_open cannot subscribe it to anything.
  virtual void Close() = 0;
};

// Asks the server to keep the connection as a push stream after the response head.
struct StreamUpgrade {
  enum Kind { kSse, kWebSocket };
  Kind kind = kSse;
  // Runs on the stream's thread (a read-side thread, not the one that read the request) once
  // the stream is ready (after the WebSocket handshake). Must not block.
  std::function<void(std::shared_ptr<PushStream>)> on_open;
};

struct HttpResponse {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<StreamUpgrade> upgrade;  // set: status/body ignored, the stream takes over
  // Set: the body comes from this pipe, filled by another thread while the connection writes
  // (`body` is ignored). With `content_length` the head says Content-Length, else the body is
  // sent chunked. A pipe cancelled before its end closes the connection mid-body.
  std::shared_ptr<BodyPipe> body_pipe;
  std::optional<uint64_t> content_length;
};

inline HttpResponse Response(unsigned status, std::string content_type, std::string body) {
  HttpResponse r;
  r.status = status;
  r.content_type = std::move(content_type);
  r.body = std::move(body);
  return r;
}

// Completes a request. Call exactly once, from any thread.
using Responder = std::function<void(HttpResponse)>;

// What the server hands each parsed request to. Runs on a network thread: must not block.
class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  virtual void Handle(HttpRequest request, Responder respond) = 0;
};

// Told of every request the server answers, for metrics (app/http_metrics.h). Classify runs
// when a request has been read (or failed to be), OnAnswered when its response head is written
// (for a push stream: when the stream takes over), with the id Classify gave and the time in
// between. Both run on network threads for every request: cheap, non-blocking, thread-safe.
class RequestObserver {
 public:
  virtual ~RequestObserver() = default;
  // A small id for (method, path), e.g. its route pattern; path may be empty (a malformed
  // request).
  virtual uint32_t Classify(std::string_view method, std::string_view path) = 0;
  virtual void OnAnswered(uint32_t id, unsigned status, std::chrono::nanoseconds elapsed) = 0;
};

// {"error":{"code":...,"message":...}} with `message` JSON-escaped.
HttpResponse ErrorResponse(unsigned status, std::string_view code, std::string_view message);

}  // namespace urna::net
