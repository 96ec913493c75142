#include "net/http_server.h"

#include <boost/beast/websocket/rfc6455.hpp>

#include <spdlog/spdlog.h>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <optional>
#include <thread>
#include <vector>

#include "net/sse_stream.h"
#include "net/stream_types.h"
#include "net/ws_stream.h"

namespace urna::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct HttpServer::Impl {
  HttpServerOptions opts;
  HttpHandler& handler;
  // One io_context per network thread; a connection lives on one of them for its whole life,
  // so its handlers never run concurrently and need no strand.
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  size_t next_context = 0;
  std::optional<tcp::acceptor> acceptor;
  std::vector<std::thread> threads;
  std::atomic<bool> draining{false};
  std::atomic<int64_t> in_flight{0};
  uint16_t port = 0;

  Impl(HttpServerOptions o, HttpHandler& h) : opts(std::move(o)), handler(h) {
    for (int i = 0; i < std::max(1, opts.threads); ++i) {
      contexts.push_back(std::make_unique<asio::io_context>(1));
      guards.push_back(asio::make_work_guard(*contexts.back()));
    }
    acceptor.emplace(*contexts[0]);
  }
  void Accept();
};

namespace {

// One connection. Lives as long as an async operation holds a shared_ptr to it; all its
// handlers run on the one thread of its io_context.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Socket socket, HttpServer::Impl& server) : stream_(std::move(socket)), server_(server) {
    beast::error_code ec;
    auto remote = stream_.socket().remote_endpoint(ec);
    if (!ec) peer_ = remote.address().to_string();
  }

  void Start() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->Read(); });
  }

 private:
  void Read() {
    parser_.emplace();
    parser_->body_limit(server_.opts.max_body_bytes);
    parser_->header_limit(static_cast<uint32_t>(server_.opts.max_header_bytes));
    stream_.expires_after(server_.opts.idle_timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
        ec == asio::error::eof) {
      return Close();
    }
    if (ec == http::error::body_limit) {
      keep_alive_ = false;
      return Write(ErrorResponse(
          413, "payload_too_large",
          "request body exceeds " + std::to_string(server_.opts.max_body_bytes) + " bytes"));
    }
    if (ec == http::error::header_limit) {
      keep_alive_ = false;
      return Write(ErrorResponse(431, "invalid_request", "request headers too large"));
    }
    if (ec) {
      keep_alive_ = false;
      return Write(
          ErrorResponse(400, "invalid_request", "malformed HTTP request: " + ec.message()));
    }
    auto& req = parser_->get();
    keep_alive_ = req.keep_alive() && !server_.draining;
    HttpRequest r;
    r.method = std::string(req.method_string());
    std::string_view target = req.target();
    size_t q = target.find('?');
    r.path = std::string(target.substr(0, q));
    if (q != std::string_view::npos) r.query = std::string(target.substr(q + 1));
    r.authorization = std::string(req[http::field::authorization]);
    r.content_type = std::string(req[http::field::content_type]);
    r.if_none_match = std::string(req[http::field::if_none_match]);
    for (auto [it, end] = req.equal_range("X-Forwarded-For"); it != end; ++it) {
      if (!r.x_forwarded_for.empty()) r.x_forwarded_for += ',';
      r.x_forwarded_for += it->value();
    }
    r.peer = peer_;
    r.body = std::move(req.body());
    if (beast::websocket::is_upgrade(req)) {
      r.websocket = true;
      upgrade_request_ = parser_->release();  // the handshake needs it
    }
    server_.in_flight.fetch_add(1, std::memory_order_relaxed);
    counted_ = true;
    server_.handler.Handle(std::move(r), [self = shared_from_this()](HttpResponse resp) {
      asio::post(self->stream_.get_executor(),
                 [self, resp = std::move(resp)]() mutable { self->Write(std::move(resp)); });
    });
  }

  // Writes the response head by hand and the body as a second buffer. Beast's serializer
  // allocates a node per header field; on the vote path that was a measurable share of the
  // CPU per request, and a response head is simple enough to render directly.
  void Write(HttpResponse resp) {
    if (resp.upgrade) return HandOff(std::move(resp));
    bool keep_alive = keep_alive_ && !server_.draining;
    out_head_.clear();
    out_head_ += "HTTP/1.1 ";
    out_head_ += std::to_string(resp.status);
    out_head_ += ' ';
    out_head_ += http::obsolete_reason(static_cast<http::status>(resp.status));
    out_head_ += "\r\nServer: urna\r\nContent-Type: ";
    out_head_ += resp.content_type;
    out_head_ += "\r\nContent-Length: ";
    out_head_ += std::to_string(resp.body.size());
    for (const auto& [k, v] : resp.headers) {
      out_head_ += "\r\n";
      out_head_ += k;
      out_head_ += ": ";
      out_head_ += v;
    }
    out_head_ += keep_alive ? "\r\n\r\n" : "\r\nConnection: close\r\n\r\n";
    out_body_ = std::move(resp.body);
    std::array<asio::const_buffer, 2> bufs{asio::buffer(out_head_), asio::buffer(out_body_)};
    stream_.expires_after(server_.opts.idle_timeout);
    asio::async_write(stream_, bufs,
                      [self = shared_from_this(), keep_alive](beast::error_code ec, size_t) {
                        self->OnWrite(ec, keep_alive);
                      });
  }

  // Turns this connection into a push stream; the Session is done with it afterwards.
  void HandOff(HttpResponse resp) {
    if (counted_) {
      server_.in_flight.fetch_sub(1, std::memory_order_relaxed);
      counted_ = false;
    }
    auto upgrade = std::move(*resp.upgrade);
    beast::error_code ec;
    stream_.socket().set_option(
        asio::socket_base::send_buffer_size(static_cast<int>(server_.opts.push_send_buffer_bytes)),
        ec);
    if (upgrade.kind == StreamUpgrade::kWebSocket) {
      if (!upgrade_request_) {
        keep_alive_ = false;
        return Write(
            ErrorResponse(400, "invalid_request", "this resource needs a WebSocket upgrade"));
      }
      auto ws = std::make_shared<WsStream>(std::move(stream_));
      ws->Start(std::move(*upgrade_request_), std::move(upgrade.on_open));
      return;
    }
    std::string head =
        "HTTP/1.1 200 OK\r\nServer: urna\r\nContent-Type: text/event-stream\r\n"
        "Cache-Control: no-cache\r\nX-Accel-Buffering: no\r\n";
    for (const auto& [k, v] : resp.headers) head += k + ": " + v + "\r\n";
    head += "\r\n";
    auto sse = std::make_shared<SseStream>(std::move(stream_), server_.opts.push_write_timeout);
    sse->Start(std::move(head), std::move(upgrade.on_open));
  }

  void OnWrite(beast::error_code ec, bool keep_alive) {
    if (counted_) {
      server_.in_flight.fetch_sub(1, std::memory_order_relaxed);
      counted_ = false;
    }
    if (ec || !keep_alive) return Close();
    Read();
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.close();
  }

  Stream stream_;
  HttpServer::Impl& server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::request<http::string_body>> upgrade_request_;
  std::string out_head_, out_body_;  // the response being written
  std::string peer_;                 // the remote address, for the handler (rate limits)
  bool keep_alive_ = true;
  bool counted_ = false;
};

}  // namespace

void HttpServer::Impl::Accept() {
  auto& ctx = *contexts[next_context++ % contexts.size()];
  acceptor->async_accept(ctx.get_executor(), [this](beast::error_code ec, Socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor->is_open()) return;
    if (!ec) {
      socket.set_option(tcp::no_delay(true), ec);
      std::make_shared<Session>(std::move(socket), *this)->Start();
    } else if (ec == asio::error::no_descriptors) {
      spdlog::warn("accept: out of file descriptors");
    }
    Accept();
  });
}

HttpServer::HttpServer(HttpServerOptions options, HttpHandler& handler)
    : impl_(std::make_unique<Impl>(std::move(options), handler)) {}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Start() {
  beast::error_code ec;
  auto addr = asio::ip::make_address(impl_->opts.host, ec);
  if (ec) return Status(Code::kInvalidArgument, "bad listen address " + impl_->opts.host);
  tcp::endpoint ep(addr, impl_->opts.port);
  auto& a = *impl_->acceptor;
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status(Code::kUnavailable, "cannot listen on " + impl_->opts.host + ":" +
                                          std::to_string(impl_->opts.port) + ": " + ec.message());
  }
  impl_->port = a.local_endpoint().port();
  impl_->Accept();
  for (auto& ctx : impl_->contexts) {
    impl_->threads.emplace_back([c = ctx.get()] {
      pthread_setname_np(pthread_self(), "urna-http");
      c->run();
    });
  }
  return Status::Ok();
}

uint16_t HttpServer::port() const { return impl_->port; }

void HttpServer::StopAccepting() {
  impl_->draining = true;
  asio::post(*impl_->contexts[0], [this] {
    beast::error_code ec;
    impl_->acceptor->close(ec);
  });
}

int64_t HttpServer::in_flight() const { return impl_->in_flight.load(); }

void HttpServer::Stop() {
  if (impl_->threads.empty()) return;
  for (auto& c : impl_->contexts) c->stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
}

}  // namespace urna::net
