// HttpServer's accept loop: takes a connection slot for each new connection or refuses it over
// the cap; backs off when the process is out of descriptors instead of spinning; sweeps idle
// connections and stuck push streams once a second on every shard.
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <boost/asio/post.hpp>

#include <cerrno>
#include <cstdlib>
#include <string_view>

#include "net/http_date.h"
#include "net/server_internal.h"

namespace urna::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

constexpr std::chrono::milliseconds kFirstBackoff{50};
constexpr std::chrono::milliseconds kMaxBackoff{1000};

// The refusal, sent without reading the request. Rendered for each refusal: its Date changes
// (HttpDate formats once a second per thread), the rest is fixed.
constexpr std::string_view kBusyBody =
    R"({"error":{"code":"too_many_connections","message":"the server holds its maximum of open connections; retry shortly"}})";

std::string BusyResponse() {
  std::string r = "HTTP/1.1 503 Service Unavailable\r\nServer: urna\r\nDate: ";
  r += HttpDate();
  r += "\r\nContent-Type: application/json\r\nContent-Length: ";
  r += std::to_string(kBusyBody.size());
  r += "\r\nRetry-After: 1\r\nConnection: close\r\n\r\n";
  r += kBusyBody;
  return r;
}

}  // namespace

void HttpServer::Impl::FirstRequestDone() {
  const size_t left = first_requests.fetch_sub(1) - 1;
  if (left >= opts.max_first_requests || !accept_paused.exchange(false)) return;
  // Not once draining: the listener is closed, or closes while this post waits.
  if (draining) return;
  asio::post(shards[0]->ctx, [this] {
    if (acceptor->is_open()) Accept();
  });
}

bool WarnLimiter::ShouldLog(SteadyClock::time_point now, uint64_t& suppressed) {
  if (last_ && now - *last_ < every_) {
    ++skipped_;
    return false;
  }
  last_ = now;
  suppressed = skipped_;
  skipped_ = 0;
  return true;
}

HttpServer::Impl::Impl(HttpServerOptions o, HttpHandler& h)
    : opts(std::move(o)),
      handler(h),
      limiter([&] {
        ConnectionLimits l;
        l.max_connections =
            opts.max_connections ? opts.max_connections : DefaultMaxConnections(FdLimit());
        l.max_push_streams = opts.max_push_streams ? opts.max_push_streams
                                                   : std::max<size_t>(1, l.max_connections * 3 / 4);
        l.busy_fraction = opts.busy_fraction;
        l.idle_timeout = opts.idle_timeout;
        l.busy_idle_timeout = opts.busy_idle_timeout;
        return l;
      }()),
      test_hooks([] {
        const char* v = std::getenv("URNA_TEST_HOOKS");
        return v && std::string_view(v) == "1";
      }()) {
  for (int i = 0; i < std::max(1, opts.threads); ++i) {
    shards.push_back(std::make_unique<Shard>(push_writes));
  }
  for (int i = 0; i < opts.stream_threads; ++i) {
    stream_shards.push_back(std::make_unique<Shard>(push_writes));
  }
  acceptor.emplace(shards[0]->ctx);
  accept_backoff_timer.emplace(shards[0]->ctx);
}

void HttpServer::Impl::Accept() {
  if (const size_t cap = opts.max_first_requests; cap && first_requests.load() >= cap) {
    // Paused: FirstRequestDone resumes. Checked again after the flag is up, so a session that
    // finished in between (and saw no flag) cannot leave the loop paused; of the two, only the
    // one that takes the flag down goes on accepting.
    accept_paused.store(true);
    accept_pauses.fetch_add(1, std::memory_order_relaxed);
    if (first_requests.load() >= cap || !accept_paused.exchange(false)) return;
  }
  Shard& shard = *shards[next_shard++ % shards.size()];
  acceptor->async_accept(shard.ctx.get_executor(),
                         [this, &shard](boost::system::error_code ec, Socket socket) {
                           if (ec == asio::error::operation_aborted || !acceptor->is_open()) return;
                           if (ec) return OnAcceptError(ec);
                           accept_backoff = std::chrono::milliseconds(0);
                           Admit(shard, std::move(socket));
                           Accept();
                         });
}

void HttpServer::Impl::Admit(Shard& shard, Socket socket) {
  if (!limiter.TryAcquire()) return Refuse(socket);
  boost::system::error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  first_requests.fetch_add(1);
  StartSession(shard, std::move(socket), ConnectionSlot(&limiter));
}

// Over the cap: one non-blocking send of a 503 into the empty send buffer, then close.
// The request is never read, so this costs no memory and no timer; a client whose request was
// already in flight may see a reset instead of the 503, which is still a refusal (nothing was
// processed) and it may retry.
void HttpServer::Impl::Refuse(Socket& socket) {
  const std::string busy = BusyResponse();
  (void)::send(socket.native_handle(), busy.data(), busy.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  boost::system::error_code ec;
  socket.close(ec);
  uint64_t suppressed = 0;
  if (refuse_warn.ShouldLog(SteadyClock::now(), suppressed)) {
    spdlog::warn(
        "refusing connections: {} open, the cap is {} (--max-connections); {} more "
        "refusals not logged",
        limiter.open(), limiter.limits().max_connections, suppressed);
  }
}

// Out of descriptors (or kernel memory): accepting again at once would fail again at once and
// spin. Pause, doubling from 50 ms to 1 s, and log at most one line per 5 s.
void HttpServer::Impl::OnAcceptError(const boost::system::error_code& ec) {
  accept_errors.fetch_add(1, std::memory_order_relaxed);
  accept_backoff =
      accept_backoff.count() == 0 ? kFirstBackoff : std::min(kMaxBackoff, accept_backoff * 2);
  uint64_t suppressed = 0;
  if (fd_warn.ShouldLog(SteadyClock::now(), suppressed)) {
    spdlog::warn(
        "accept: {} ({} open connections, cap {}); pausing accept for {} ms; {} more "
        "accept errors not logged",
        ec.message(), limiter.open(), limiter.limits().max_connections, accept_backoff.count(),
        suppressed);
  }
  accept_backoff_timer->expires_after(accept_backoff);
  accept_backoff_timer->async_wait([this](boost::system::error_code ec) {
    if (!ec && acceptor->is_open()) Accept();
  });
}

void HttpServer::Impl::ScheduleSweep(Shard& shard) {
  shard.sweep_timer.expires_after(std::chrono::seconds(1));
  shard.sweep_timer.async_wait([this, &shard](boost::system::error_code ec) {
    if (ec) return;
    if (limiter.busy() || accept_paused) SweepNow(shard);  // accept_paused: Session::Sweep
    shard.push.SweepStuck(SteadyClock::now(), opts.stream_write_timeout);
    ScheduleSweep(shard);
  });
}

void HttpServer::Impl::SweepAll() {
  for (auto& shard : shards) {
    asio::post(shard->ctx, [this, s = shard.get()] { SweepNow(*s); });
  }
}

Shard& HttpServer::Impl::StreamShardFor(Shard& from) {
  if (stream_shards.empty()) return from;
  return *stream_shards[next_stream_shard.fetch_add(1, std::memory_order_relaxed) %
                        stream_shards.size()];
}

}  // namespace urna::net
