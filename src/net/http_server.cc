#include "net/http_server.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/post.hpp>

#include <future>

#include "net/server_internal.h"

namespace urna::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

HttpServer::HttpServer(HttpServerOptions options, HttpHandler& handler)
    : impl_(std::make_unique<Impl>(std::move(options), handler)) {}

HttpServer::~HttpServer() { Stop(std::chrono::milliseconds(0)); }

Status HttpServer::Start() {
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(impl_->opts.host, ec);
  if (ec) return Status(Code::kInvalidArgument, "bad listen address " + impl_->opts.host);
  tcp::endpoint ep(addr, impl_->opts.port);
  auto& a = *impl_->acceptor;
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec && impl_->opts.reuse_port) {
    a.set_option(asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>(true), ec);
  }
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status(Code::kUnavailable, "cannot listen on " + impl_->opts.host + ":" +
                                          std::to_string(impl_->opts.port) + ": " + ec.message());
  }
  impl_->port = a.local_endpoint().port();
  impl_->push_writes.pacing = PushPacing{impl_->opts.stream_slice, impl_->opts.stream_spread,
                                         impl_->opts.stream_budget, impl_->opts.stream_period};
  impl_->Accept();
  for (auto& shard : impl_->shards) {
    impl_->ScheduleSweep(*shard);
    impl_->threads.emplace_back([s = shard.get()] {
      pthread_setname_np(pthread_self(), "urna-http");
      SetThreadRole(ThreadRole::kNetwork);
      HomeThread::SetCurrent(s);  // the vote log answers this thread's votes in one post
      s->ctx.run();
    });
  }
  for (auto& shard : impl_->stream_shards) {
    impl_->ScheduleSweep(*shard);
    impl_->threads.emplace_back(
        [c = &shard->ctx, nice = impl_->opts.stream_nice, sched = impl_->opts.stream_sched] {
          pthread_setname_np(pthread_self(), "urna-stream");
          SetThreadRole(ThreadRole::kReadSide);
          // Failing to lower the priority is not fatal: the threads are still apart.
          if (Status s = LowerCurrentThread(sched, nice); !s.ok()) {
            spdlog::warn("cannot lower the priority of a read-side thread (nice {}, {}): {}", nice,
                         StreamSchedName(sched), s.message());
          }
          c->run();
        });
  }
  return Status::Ok();
}

uint16_t HttpServer::port() const { return impl_->port; }

ConnectionStats HttpServer::stats() const {
  const auto& l = impl_->limiter;
  ConnectionStats s;
  s.max_connections = l.limits().max_connections;
  s.accept_pauses = impl_->accept_pauses.load(std::memory_order_relaxed);
  s.first_request_closed = impl_->first_request_closed.load(std::memory_order_relaxed);
  s.max_push_streams = l.limits().max_push_streams;
  s.open = l.open();
  s.push_open = l.push_open();
  s.push_open_websocket = l.push_open_websocket();
  s.peak_open = l.peak_open();
  s.refused = l.refused();
  s.push_refused = l.push_refused();
  s.idle_closed = l.idle_closed();
  s.accept_errors = impl_->accept_errors.load(std::memory_order_relaxed);
  s.push_writes_network = impl_->push_writes.network.load(std::memory_order_relaxed);
  s.push_writes_read_side = impl_->push_writes.read_side.load(std::memory_order_relaxed);
  s.push_budget_exhausted = impl_->push_writes.budget_exhausted.load(std::memory_order_relaxed);
  s.push_deferred = impl_->push_writes.deferred.load(std::memory_order_relaxed);
  return s;
}

void HttpServer::StopAccepting() {
  impl_->draining = true;
  asio::post(impl_->shards[0]->ctx, [impl = impl_.get()] {
    // Closing a listener resets the connections still in its backlog, and their clients may
    // already have sent a request. Take them first: they are answered or closed cleanly like
    // every other connection while draining.
    boost::system::error_code ec;
    impl->acceptor->non_blocking(true, ec);
    while (!ec) {
      Shard& shard = *impl->shards[impl->next_shard++ % impl->shards.size()];
      Socket socket(shard.ctx);
      impl->acceptor->accept(socket, ec);
      if (!ec) impl->Admit(shard, std::move(socket));
    }
    impl->acceptor->close(ec);
    impl->accept_backoff_timer->cancel();
  });
  // Connections waiting for a request are closed now, while the server can still answer one
  // that races with the close; those mid-request are answered and then closed.
  impl_->SweepAll();
}

int64_t HttpServer::in_flight() const { return impl_->in_flight.load(); }

void HttpServer::RefuseNewRequests() { impl_->refusing = true; }

void HttpServer::Stop(std::chrono::milliseconds grace) {
  if (impl_->threads.empty()) return;
  if (!impl_->draining) StopAccepting();
  impl_->refusing = true;
  // HTTP sessions still answering or lingering get `grace` to finish; push streams do not wait.
  auto deadline = std::chrono::steady_clock::now() + grace;
  auto http_open = [this] { return impl_->limiter.open() > impl_->limiter.push_open(); };
  while (http_open() && std::chrono::steady_clock::now() < deadline) {
    impl_->SweepAll();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  impl_->ReleaseStall();  // a read side held by the test hook must be able to stop
  // What is left is closed on its own thread: HTTP sessions (one waiting on a body pipe lets go
  // of it), then push streams (a clean end of stream for every viewer).
  std::vector<std::future<void>> closed;
  auto close_on = [&](Shard& shard) {
    auto done = std::make_shared<std::promise<void>>();
    closed.push_back(done->get_future());
    asio::post(shard.ctx, [s = &shard, done] {
      std::vector<std::shared_ptr<SessionBase>> live;
      {
        MutexLock lock(s->mu);
        for (auto& w : s->sessions) {
          if (auto p = w.lock()) live.push_back(std::move(p));
        }
      }
      for (auto& p : live) p->ForceClose();
      if (!live.empty()) spdlog::warn("stop: {} connections closed at the deadline", live.size());
      s->push.CloseAll();
      done->set_value();
    });
  };
  // Network shards first: a session handed off just before is then already queued on its
  // stream shard, ahead of that shard's CloseAll, so no stream starts after it.
  for (auto& shard : impl_->shards) close_on(*shard);
  for (auto& f : closed) f.wait_for(std::chrono::seconds(1));
  closed.clear();
  for (auto& shard : impl_->stream_shards) close_on(*shard);
  for (auto& f : closed) f.wait_for(std::chrono::seconds(1));
  for (auto& shard : impl_->shards) shard->ctx.stop();
  for (auto& shard : impl_->stream_shards) shard->ctx.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
}

}  // namespace urna::net
