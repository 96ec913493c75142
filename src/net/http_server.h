// HttpServer: asynchronous HTTP/1.1 server (Boost.Beast) with keep-alive and pipelining
// (pipelined requests are answered in order, one at a time per connection). It parses
// requests, enforces size limits and timeouts, and hands each request to one HttpHandler.
// A response may turn its connection into a push stream (SSE or WebSocket, see PushStream) or
// carry a body produced on another thread (BodyPipe).
// Open connections are capped (ConnectionLimiter): over the cap a new connection is answered
// 503 at once, without reading it, and closed, so sockets never take the descriptors storage
// needs. Closing after an answer is a lingering close: what the client still sends is read and
// dropped (bounded) so the answer is not destroyed by a TCP reset.
// Reads never slow writes: a connection that becomes a push stream is moved, at the upgrade,
// from its network thread to one of `stream_threads` read-side threads of its own, so a
// broadcast to every viewer is written there and requests (votes, receipts, admin) never queue
// behind it; the read-side threads run at a lower priority (docs/architecture.md, "Threads").
// Owned by the app; runs `threads` network threads and `stream_threads` read-side threads of its
// own. Beast stays inside the .cc.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "net/http_types.h"
#include "net/thread_priority.h"

namespace urna::net {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0 = any free port
  // SO_REUSEPORT before bind: several processes (each with this set, as the same user) listen on
  // one port and the kernel spreads new connections over them (`urna results --reuse-port`,
  // docs/operations.md). Off: a second process on the port fails to start.
  bool reuse_port = false;
  int threads = 2;
  size_t max_body_bytes = 16 * 1024;  // larger bodies get 413
  // Bodies of paths ending in ":batch" (a trusted gateway's votes, docs/api.md) may be this
  // large; 0 (or not above max_body_bytes) = max_body_bytes for every path.
  size_t batch_body_bytes = 0;
  // When set, a ":batch" request may send more than max_body_bytes only if this returns no
  // refusal for its Authorization header (the app: a live gateway's secret). Anyone else's
  // larger body is not read: the refusal (the answer the route gives that credential: 401 or
  // 403) is sent and the connection closed, so only a trusted gateway can make the server
  // buffer a batch-sized body. Called on a network thread: must not block.
  std::function<std::optional<HttpResponse>(std::string_view authorization)> batch_body_refusal;
  size_t max_header_bytes = 8 * 1024;
  std::chrono::seconds idle_timeout{60};
  // Push streams (SSE and WebSocket alike, docs/operations.md "Live result streams"): a message
  // whose write has not finished after stream_write_timeout closes the stream (checked once a
  // second); the kernel send buffer is kept small so a stuck viewer holds little memory
  // anywhere. Keep-alive: a WebSocket ping every stream_keepalive, and a viewer silent for two
  // of them is closed (SSE gets a comment line from the results hub at the same interval).
  std::chrono::seconds stream_write_timeout{10};
  std::chrono::seconds stream_keepalive{15};
  size_t push_send_buffer_bytes = 32 * 1024;
  // Read-side threads for push streams; 0 = streams stay on the network threads (reads then
  // compete with votes). Their niceness is raised by stream_nice (0 = same priority), and
  // stream_sched kIdle puts them under SCHED_IDLE (net/thread_priority.h), so under a full CPU
  // the scheduler serves requests first.
  int stream_threads = 1;
  int stream_nice = 10;
  StreamSched stream_sched = StreamSched::kNormal;
  // How each read-side thread paces a broadcast (net/push_queue.h, docs/operations.md "Live
  // result streams"): at most stream_slice streams written per task (0 = all at once), so other
  // work on that thread waits for one slice at most; one tick's slices spaced over about
  // stream_spread (0 = back to back) rather than one burst; and at most stream_budget of the
  // thread's CPU time per stream_period (the results tick; 0 = no budget) spent writing, past
  // which the rest waits for the next period and sheds to latest wins.
  size_t stream_slice = 256;
  std::chrono::milliseconds stream_spread{0};  // 100 measured worse: docs/performance/mixed.md
  std::chrono::milliseconds stream_budget{0};
  std::chrono::milliseconds stream_period{250};
  // Open client connections at most, push streams included; 0 = DefaultMaxConnections of the
  // descriptor limit (connection_limiter.h).
  size_t max_connections = 0;
  // Push streams (viewers) at most; 0 = three quarters of max_connections, so viewers never
  // hold the slots voters need.
  size_t max_push_streams = 0;
  // Connections still in their first request (accepted, not yet answered, upgraded or closed)
  // at most; at the cap the server stops accepting and the next ones wait in the kernel's
  // listen queue, where they cost no process memory, until one finishes. Bounds what a connect
  // storm allocates at once (each such session holds its parser and buffers; the allocator
  // keeps what they free). 0 = no cap (the default here and for `urna serve` and `urna ingest`,
  // which take votes; `urna results` sets 512).
  size_t max_first_requests = 0;
  // While the accept loop is paused at max_first_requests, a connection still in its first
  // request (silent or partly sent: a slow-loris) for longer than this is closed (checked every
  // second), so a pause lasts at most about this long and the connections waiting in the listen
  // queue get their turn.
  std::chrono::seconds first_request_timeout{5};
  // Above busy_fraction of max_connections, a connection waiting for its next request longer
  // than busy_idle_timeout is closed.
  double busy_fraction = 0.8;
  std::chrono::seconds busy_idle_timeout{5};
  // Lingering close: read and drop at most this much, for at most this long.
  size_t linger_bytes = 1024 * 1024;
  std::chrono::milliseconds linger_timeout{2000};
  // Told of every answered request (/metrics); not owned, outlives the server. Null: none.
  RequestObserver* observer = nullptr;
};

struct ConnectionStats {
  size_t max_connections = 0, max_push_streams = 0;
  size_t open = 0, push_open = 0, peak_open = 0;
  size_t push_open_websocket = 0;  // of push_open; the others are SSE
  uint64_t refused = 0, push_refused = 0, idle_closed = 0, accept_errors = 0;
  uint64_t accept_pauses = 0;  // times accepting paused at max_first_requests
  // Connections closed while paused for being in their first request past first_request_timeout.
  uint64_t first_request_closed = 0;
  // Messages written to push streams, by the kind of thread that wrote them.
  uint64_t push_writes_network = 0, push_writes_read_side = 0;
  // Periods whose fan-out budget ran out with streams still to write, and those streams.
  uint64_t push_budget_exhausted = 0, push_deferred = 0;
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, HttpHandler& handler);
  ~HttpServer();

  // Binds, listens and starts the network threads.
  Status Start();
  uint16_t port() const;
  // The effective limits (defaults resolved) and counters.
  ConnectionStats stats() const;

  // Shutting down, in this order:
  // 1. Stops accepting; from now on every answer carries Connection: close, and connections
  //    waiting for a request with nothing of it received yet are closed.
  void StopAccepting();
  // Requests handed to the handler and not yet fully written.
  int64_t in_flight() const;
  // 2. Requests read from now on are answered 503 `shutting_down` by the server itself, never
  //    handed to the handler (call before the services behind it stop).
  void RefuseNewRequests();
  // 3. Waits (up to `grace`) for the connections still answering or lingering to finish, then
  //    closes everything and joins the network threads.
  void Stop(std::chrono::milliseconds grace = std::chrono::milliseconds(3000));

  struct Impl;  // server_internal.h (keeps Beast out of this header)

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace urna::net
