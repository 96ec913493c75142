// Private to src/net: the state HttpServer shares with its sessions and its accept loop
// (http_server.cc, http_session.cc, accept_loop.cc). Includes Beast, so no public header may
// include it.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <list>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "net/connection_limiter.h"
#include "net/http_server.h"
#include "net/push_queue.h"
#include "net/stream_types.h"
#include "sync/home_thread.h"
#include "sync/mutex.h"

namespace urna::net {

using SteadyClock = std::chrono::steady_clock;

// What the server needs of a connection: a periodic look (idle too long? draining?) and a
// forced close at stop. Both run on the connection's own thread.
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  virtual void Sweep(SteadyClock::time_point now) = 0;
  virtual void ForceClose() = 0;
};

// One thread of the server and its io_context: a network thread (HTTP sessions: votes,
// receipts, admin) or a read-side thread (push streams, when stream_threads > 0). The session
// list is guarded by a mutex because a session may be destroyed on another thread (the last
// reference to it can be a responder). The sweep timer runs on the thread itself. A network
// shard is its thread's HomeThread (sync/home_thread.h): the vote log hands a batch's
// completions back to it in one post.
struct Shard final : HomeThread {
  explicit Shard(PushWriteCounters& counters)
      : ctx(1), guard(boost::asio::make_work_guard(ctx)), sweep_timer(ctx), push(ctx, counters) {}
  void Post(std::function<void()> task) override { boost::asio::post(ctx, std::move(task)); }
  // Declared before ctx: sessions still pending when ctx is destroyed unregister themselves.
  Mutex mu;
  std::list<std::weak_ptr<SessionBase>> sessions GUARDED_BY(mu);
  boost::asio::io_context ctx;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard;
  boost::asio::steady_timer sweep_timer;
  // After ctx: streams still queued are destroyed before the io_context their sockets use.
  PushQueue push;  // the push streams on this thread
};

// A test hook (URNA_TEST_HOOKS=1 only): holds every read-side thread inside a task until
// released, so a test can show that votes never wait for the read side (test_hooks.cc).
struct StreamStall {
  std::mutex mu;
  std::condition_variable cv;
  bool released = false;  // guarded by mu
  size_t entered = 0;     // guarded by mu
};

// Rate-limits a repeated warning to one line per interval, counting what it suppressed.
// Used on one thread (the acceptor's).
class WarnLimiter {
 public:
  explicit WarnLimiter(std::chrono::seconds every) : every_(every) {}
  // true: log now; `suppressed` is how many were skipped since the last line.
  bool ShouldLog(SteadyClock::time_point now, uint64_t& suppressed);

 private:
  std::chrono::seconds every_;
  std::optional<SteadyClock::time_point> last_;
  uint64_t skipped_ = 0;
};

struct HttpServer::Impl {
  HttpServerOptions opts;
  HttpHandler& handler;
  ConnectionLimiter limiter;  // before the shards: sessions release slots when destroyed
  PushWriteCounters push_writes;
  // Before the shards: a session destroyed with its shard's io_context still updates these.
  std::atomic<bool> draining{false};  // answers carry Connection: close; idle ones are closed
  std::atomic<bool> refusing{false};  // new requests are answered 503 here, not handed over
  std::atomic<int64_t> in_flight{0};
  std::atomic<uint64_t> accept_errors{0};
  // Sessions in their first request (HttpServerOptions::max_first_requests) and whether the
  // accept loop is paused at that cap; see Accept and FirstRequestDone.
  std::atomic<size_t> first_requests{0};
  std::atomic<bool> accept_paused{false};
  std::atomic<uint64_t> accept_pauses{0};
  std::atomic<uint64_t> first_request_closed{0};  // ConnectionStats::first_request_closed
  std::vector<std::unique_ptr<Shard>> shards;         // network threads
  std::vector<std::unique_ptr<Shard>> stream_shards;  // read-side threads (may be none)
  size_t next_shard = 0;
  std::atomic<size_t> next_stream_shard{0};
  const bool test_hooks;  // URNA_TEST_HOOKS=1 in the environment
  std::mutex stall_mu;
  std::shared_ptr<StreamStall> stall;  // guarded by stall_mu: the read side held (test hook)
  std::optional<boost::asio::ip::tcp::acceptor> acceptor;
  std::optional<boost::asio::steady_timer> accept_backoff_timer;
  std::chrono::milliseconds accept_backoff{0};
  WarnLimiter fd_warn{std::chrono::seconds(5)}, refuse_warn{std::chrono::seconds(5)};
  std::vector<std::thread> threads;
  uint16_t port = 0;

  Impl(HttpServerOptions o, HttpHandler& h);
  void Accept();  // accept_loop.cc
  // accept_loop.cc: a connection accepted on `shard`: a session, or the cheap 503 over the cap.
  void Admit(Shard& shard, Socket socket);
  // A session's first request is over (answered, upgraded, or the connection closed): resumes
  // a paused accept loop. Any thread.
  void FirstRequestDone();
  void Refuse(Socket& socket);  // accept_loop.cc: the cheap 503 over the cap
  void OnAcceptError(const boost::system::error_code& ec);  // accept_loop.cc
  void ScheduleSweep(Shard& shard);                         // accept_loop.cc
  void SweepNow(Shard& shard);                              // runs on the shard's thread
  // Runs SweepNow on the thread of every network shard (from any thread).
  void SweepAll();
  // The shard a new push stream goes to: a read-side shard, or `from` when there is none.
  Shard& StreamShardFor(Shard& from);
  // test_hooks.cc: answers POST /_test/streams/{stall,release} when test hooks are on; false
  // for any other request.
  bool HandleTestHook(const HttpRequest& request, const Responder& respond);
  void ReleaseStall();
  // Registers a new session on `shard` and starts it (http_session.cc).
  void StartSession(Shard& shard, Socket socket, ConnectionSlot slot);
};

}  // namespace urna::net
