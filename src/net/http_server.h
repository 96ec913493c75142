// HttpServer: asynchronous HTTP/1.1 server (Boost.Beast) with keep-alive and pipelining
// (pipelined requests are answered in order, one at a time per connection). It parses
// requests, enforces size limits and timeouts, and hands each request to one HttpHandler.
// A response may turn its connection into a push stream (SSE or WebSocket, see PushStream).
// Owned by the app; runs `threads` network threads of its own. Beast stays inside the .cc.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "core/status.h"
#include "net/http_types.h"

namespace urna::net {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0 = any free port
  int threads = 2;
  size_t max_body_bytes = 16 * 1024;  // larger bodies get 413
  size_t max_header_bytes = 8 * 1024;
  std::chrono::seconds idle_timeout{60};
  // Push streams (SSE, WebSocket): a write stuck this long closes the stream; the kernel send
  // buffer is kept small so a stuck viewer holds little memory anywhere.
  std::chrono::seconds push_write_timeout{10};
  size_t push_send_buffer_bytes = 32 * 1024;
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, HttpHandler& handler);
  ~HttpServer();

  // Binds, listens and starts the network threads.
  Status Start();
  uint16_t port() const;
  // Stops accepting new connections; open connections are answered with Connection: close.
  void StopAccepting();
  // Requests handed to the handler and not yet fully written.
  int64_t in_flight() const;
  // Closes everything and joins the network threads.
  void Stop();

  struct Impl;  // defined in the .cc (keeps Beast out of this header)

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace urna::net
