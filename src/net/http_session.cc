// Session: one HTTP connection of HttpServer (see http_server.h). Reads a request, hands it to
// the handler, writes the answer, and then reads the next (keep-alive) or closes; a connection
// upgraded to a live stream is handed to a read-side thread (HandOff). All its handlers run on
// its shard's one network thread; it lives as long as an operation or a responder holds a
// shared_ptr to it.
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>

#include "net/body_pipe.h"
#include "net/request_conversion.h"
#include "net/response_head.h"
#include "net/server_internal.h"
#include "net/sse_stream.h"
#include "net/ws_stream.h"
#include "sync/vote_probe.h"

namespace urna::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

class Session : public SessionBase, public std::enable_shared_from_this<Session> {
 public:
  Session(Socket socket, HttpServer::Impl& server, Shard& shard, ConnectionSlot slot)
      : stream_(std::move(socket)), server_(server), shard_(shard), slot_(std::move(slot)) {
    beast::error_code ec;
    auto remote = stream_.socket().remote_endpoint(ec);
    if (!ec) peer_ = remote.address().to_string();
  }

  ~Session() override {
    EndFirstRequest();
    if (pipe_) pipe_->Cancel();
    if (counted_) server_.in_flight.fetch_sub(1, std::memory_order_relaxed);
    MutexLock lock(shard_.mu);
    if (registered_) shard_.sessions.erase(self_in_shard_);
  }

  void Start() {
    {
      MutexLock lock(shard_.mu);
      self_in_shard_ = shard_.sessions.insert(shard_.sessions.end(), weak_from_this());
      registered_ = true;
    }
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->Read(); });
  }

  // Closes a connection that waits for a request too long while the server is busy, or at all
  // once the server drains; never one where part of a request has arrived (that one is
  // answered, or ends by the ordinary idle timeout).
  void Sweep(SteadyClock::time_point now) override {
    if (state_ != kReading) return;
    bool started = buffer_.size() > 0 || (parser_ && parser_->got_some());
    if (server_.draining && !started) {
      stream_.cancel();  // the read ends with operation_aborted
      state_ = kClosingIdle;
      return;
    }
    // Accepting paused at max_first_requests: a first request still being read (silent or
    // partly sent, e.g. a slow-loris trickling bytes) past first_request_timeout is closed, so
    // such connections cannot hold the accept loop (and the votes queued behind it). The first
    // Read starts at the accept, so read_since_ is the connection's age; the oldest go first.
    if (first_request_ && server_.accept_paused &&
        now - read_since_ > server_.opts.first_request_timeout) {
      server_.first_request_closed.fetch_add(1, std::memory_order_relaxed);
      stream_.cancel();
      state_ = kClosingBusy;
      return;
    }
    // Busy: only connections with nothing of a request yet; one being sent keeps its timeout.
    if (!started && server_.limiter.busy() &&
        now - read_since_ > server_.limiter.limits().busy_idle_timeout) {
      server_.limiter.CountIdleClosed();
      stream_.cancel();
      state_ = kClosingBusy;
    }
  }

  void ForceClose() override { HardClose(); }

 private:
  enum State { kReading, kHandling, kWriting, kClosingIdle, kClosingBusy, kLingering, kClosed };

  void Read() {
    parser_.emplace();
    // Of this request only: a keep-alive connection's earlier upgrade request must not answer
    // a later request that asks for none.
    upgrade_request_.reset();
    head_only_ = false;
    body_limit_ = server_.opts.max_body_bytes;
    parser_->header_limit(static_cast<uint32_t>(server_.opts.max_header_bytes));
    state_ = kReading;
    read_since_ = SteadyClock::now();
    stream_.expires_after(server_.limiter.idle_timeout());
    if (server_.opts.batch_body_bytes > server_.opts.max_body_bytes) {
      // Batch routes take larger bodies: read the head first, then set the target's limit.
      parser_->body_limit(server_.opts.batch_body_bytes);
      http::async_read_header(
          stream_, buffer_, *parser_,
          [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
      return;
    }
    parser_->body_limit(body_limit_);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  // The head is read: a path ending in ":batch" keeps the batch limit unless batch_body_refusal
  // (when set) refuses its credential; any other gets max_body_bytes (Beast checks a
  // Content-Length against the limit at the head only).
  void OnHeader(beast::error_code ec) {
    // The head is parsed even when its Content-Length was over the batch limit (body_limit).
    auto t = parser_->get().target();
    std::string_view target(t.data(), t.size());
    std::string_view path = target.substr(0, target.find('?'));
    bool batch = path.ends_with(":batch");
    batch_refusal_.reset();
    if (batch && server_.opts.batch_body_refusal) {
      auto auth = parser_->get()[http::field::authorization];
      if (auto r = server_.opts.batch_body_refusal(std::string_view(auth.data(), auth.size()))) {
        batch_refusal_ = std::make_unique<HttpResponse>(std::move(*r));
      }
      batch = !batch_refusal_;
    }
    if (batch) body_limit_ = server_.opts.batch_body_bytes;
    if (ec) return OnRead(ec);
    if (!batch) {
      if (auto len = parser_->content_length(); len && *len > body_limit_) {
        return OnRead(http::error::body_limit);
      }
      parser_->body_limit(body_limit_);
    }
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
        ec == asio::error::eof) {
      // Closed by the sweep while draining: a clean FIN and no reset. (A request that was
      // complete before the sweep cancelled the read is answered below, like any other.)
      if (state_ == kClosingIdle) return LingeringClose();
      return HardClose();
    }
    probe_read_ = probe::Now();
    probe::Record(probe::kIdle, probe_written_, probe_read_);
    probe_written_ = 0;
    // A request (or a failed one) to answer: its route and when it was read, for /metrics.
    if (auto* o = server_.opts.observer) {
      const auto& head = parser_->get();
      auto m = head.method_string();
      auto t = head.target();
      std::string_view target(t.data(), t.size());
      observed_ =
          o->Classify(std::string_view(m.data(), m.size()), target.substr(0, target.find('?')));
      read_at_ = SteadyClock::now();
    }
    keep_alive_ = false;
    if (ec == http::error::body_limit && batch_refusal_) {
      // Not read: a body this large is only taken from a trusted gateway (batch_body_refusal).
      auto r = std::move(*batch_refusal_);
      batch_refusal_.reset();
      return Write(std::move(r));
    }
    if (ec == http::error::body_limit) {
      return Write(ErrorResponse(413, "payload_too_large",
                                 "request body exceeds " + std::to_string(body_limit_) + " bytes"));
    }
    if (ec == http::error::header_limit) {
      return Write(ErrorResponse(431, "invalid_request", "request headers too large"));
    }
    if (ec) {
      return Write(
          ErrorResponse(400, "invalid_request", "malformed HTTP request: " + ec.message()));
    }
    auto& req = parser_->get();
    keep_alive_ = req.keep_alive();
    state_ = kHandling;
    if (server_.refusing) {
      keep_alive_ = false;
      auto r = ErrorResponse(503, "shutting_down", "the server is shutting down; retry");
      r.headers.emplace_back("Retry-After", "1");
      return Write(std::move(r));
    }
    HttpRequest r = ToHttpRequest(req, peer_);
    head_only_ = r.method == "HEAD";
    if (r.websocket) {
      // the handshake needs it
      upgrade_request_ = std::make_unique<http::request<http::string_body>>(parser_->release());
    }
    server_.in_flight.fetch_add(1, std::memory_order_relaxed);
    counted_ = true;
    Responder respond = [self = shared_from_this()](HttpResponse resp) {
      asio::post(self->stream_.get_executor(),
                 [self, resp = std::move(resp), at = probe::Now()]() mutable {
                   probe::Record(probe::kRespond, at, probe::Now());
                   self->Write(std::move(resp));
                 });
    };
    if (server_.test_hooks && server_.HandleTestHook(r, respond)) return;
    probe::request_read_ns = probe_read_;
    server_.handler.Handle(std::move(r), std::move(respond));
    probe::request_read_ns = 0;
  }

  // Tells the server's observer that the request being answered got `status`.
  void Observe(unsigned status) {
    if (!observed_) return;
    server_.opts.observer->OnAnswered(*observed_, status, SteadyClock::now() - read_at_);
    observed_.reset();
  }

  // Keep the connection after this answer? Not once draining, unless the next pipelined
  // request is already here (it was read, so it gets its answer too).
  bool KeepAliveAfterAnswer() const {
    return keep_alive_ && (!server_.draining || buffer_.size() > 0);
  }

  // Writes the response head (rendered by hand: response_head.h) and the body as a second
  // buffer.
  void Write(HttpResponse resp) {
    if (state_ == kClosed) return;
    if (resp.upgrade) return HandOff(std::move(resp));
    Observe(resp.status);
    probe_write_ = probe::Now();
    probe::Record(probe::kServer, probe_read_, probe_write_);
    probe_read_ = 0;
    bool keep_alive = KeepAliveAfterAnswer();
    state_ = kWriting;
    pipe_ = std::move(resp.body_pipe);
    chunked_ = pipe_ && !resp.content_length;
    BodyFraming framing = chunked_ ? BodyFraming::kChunked : BodyFraming::kLength;
    if (resp.status == 204 || resp.status == 304) {
      // No Content-Length on a 204, nor on a 304 (RFC 9110 8.6: a 304's would have to be the
      // 200's length); neither has content: a body pipe handed with it is cancelled (its
      // producer stops) and the answer ends at its head.
      resp.body.clear();
      if (pipe_) pipe_->Cancel();
      pipe_.reset();
      chunked_ = false;
      framing = BodyFraming::kNone;
    }
    RenderResponseHead(resp, framing, pipe_ ? *resp.content_length : resp.body.size(), keep_alive,
                       out_head_);
    out_body_ = pipe_ ? std::string() : std::move(resp.body);
    if (head_only_) {
      // HEAD: the GET's head (its Content-Length included), no body (RFC 9110 9.3.2).
      out_body_.clear();
      if (pipe_) pipe_->Cancel();
      pipe_.reset();
    }
    WriteOut(keep_alive);
  }

  // The one write of the session: out_head_ then out_body_; then the body pipe's next piece,
  // or the end of the answer.
  void WriteOut(bool keep_alive) {
    std::array<asio::const_buffer, 2> bufs{asio::buffer(out_head_), asio::buffer(out_body_)};
    stream_.expires_after(server_.opts.idle_timeout);
    asio::async_write(stream_, bufs,
                      [self = shared_from_this(), keep_alive](beast::error_code ec, size_t) {
                        if (ec) return self->HardClose();
                        probe::Record(probe::kSent, self->probe_write_, probe::Now());
                        self->probe_write_ = 0;
                        if (self->pipe_) return self->Pump(keep_alive);
                        self->OnWritten(keep_alive);
                      });
  }

  // Writes what the body pipe holds, then waits for more, until its end.
  void Pump(bool keep_alive) {
    if (state_ == kClosed) return;
    // The pipe holds the session while it waits for the producer (no operation does then);
    // the reference goes once the wake runs, or when HardClose cancels the pipe.
    auto wake = [self = shared_from_this(), keep_alive] {
      asio::post(self->stream_.get_executor(), [self, keep_alive] { self->Pump(keep_alive); });
    };
    switch (pipe_->Take(out_body_, wake)) {
      case BodyPipe::State::kWait:
        return;
      case BodyPipe::State::kCancelled:
        return HardClose();  // the body cannot be completed: the client sees it cut short
      case BodyPipe::State::kDone:
        pipe_.reset();
        if (!chunked_) return OnWritten(keep_alive);
        out_head_ = "0\r\n\r\n";
        out_body_.clear();
        break;
      case BodyPipe::State::kData:
        out_head_.clear();
        if (chunked_) {
          char size[20];
          int n = std::snprintf(size, sizeof size, "%zx\r\n", out_body_.size());
          out_head_.assign(size, n);
          out_body_ += "\r\n";
        }
        break;
    }
    WriteOut(keep_alive);
  }

  // Turns this connection into a push stream; the Session is done with it afterwards.
  void HandOff(HttpResponse resp) {
    auto kind = resp.upgrade->kind;
    if (kind == StreamUpgrade::kWebSocket && !upgrade_request_) {
      keep_alive_ = false;
      return Write(
          ErrorResponse(400, "invalid_request", "this resource needs a WebSocket upgrade"));
    }
    if (!slot_.PromoteToPush(kind == StreamUpgrade::kWebSocket)) {
      keep_alive_ = false;
      auto r = ErrorResponse(503, "too_many_viewers",
                             "the server holds its maximum of live result streams; retry later "
                             "or poll GET /v1/elections/{id}/results");
      r.headers.emplace_back("Retry-After", "5");
      return Write(std::move(r));
    }
    if (counted_) {
      server_.in_flight.fetch_sub(1, std::memory_order_relaxed);
      counted_ = false;
    }
    auto upgrade = std::move(*resp.upgrade);
    Observe(kind == StreamUpgrade::kWebSocket ? 101 : 200);
    EndFirstRequest();
    state_ = kClosed;  // this Session no longer owns the socket
    // The stream moves to a read-side thread (when there is one): from now on its writes, the
    // broadcasts, never run on this network thread. Its socket is re-registered there.
    Shard& target = server_.StreamShardFor(shard_);
    auto socket = MoveSocket(stream_.release_socket(), target.ctx);
    if (!socket) return;  // could not be moved: closed, and the slot released with this session
    beast::error_code ec;
    socket->set_option(
        asio::socket_base::send_buffer_size(static_cast<int>(server_.opts.push_send_buffer_bytes)),
        ec);
    if (kind == StreamUpgrade::kWebSocket) {
      auto ws = std::make_shared<WsStream>(std::move(*socket), target.push, std::move(slot_));
      asio::post(target.ctx,
                 [ws, req = std::move(*upgrade_request_), keepalive = server_.opts.stream_keepalive,
                  on_open = std::move(upgrade.on_open)]() mutable {
                   ws->Start(std::move(req), keepalive, std::move(on_open));
                 });
      return;
    }
    std::string head = EventStreamHead(resp.headers);
    auto sse = std::make_shared<SseStream>(std::move(*socket), target.push, std::move(slot_));
    asio::post(target.ctx,
               [sse, head = std::move(head), on_open = std::move(upgrade.on_open)]() mutable {
                 sse->Start(std::move(head), std::move(on_open));
               });
  }

  // `socket` registered with `ctx` instead of its own io_context (the same descriptor), or
  // nothing if that failed (the socket is closed then).
  static std::optional<Socket> MoveSocket(Socket socket, asio::io_context& ctx) {
    if (&socket.get_executor().context() == &ctx) return socket;
    beast::error_code ec;
    auto protocol = socket.local_endpoint(ec).protocol();
    if (ec) return std::nullopt;
    auto fd = socket.release(ec);
    if (ec) return std::nullopt;
    Socket moved(ctx);
    moved.assign(protocol, fd, ec);
    if (ec) {
      ::close(fd);
      return std::nullopt;
    }
    return moved;
  }

  // The first request is over: the accept loop may take another connection.
  void EndFirstRequest() {
    if (!first_request_) return;
    first_request_ = false;
    server_.FirstRequestDone();
  }

  void OnWritten(bool keep_alive) {
    EndFirstRequest();
    probe_written_ = probe::Now();
    if (counted_) {
      server_.in_flight.fetch_sub(1, std::memory_order_relaxed);
      counted_ = false;
    }
    if (!keep_alive || (server_.draining && buffer_.size() == 0)) return LingeringClose();
    Read();
  }

  // Sends FIN, then reads and drops what the client still sends (a request body it had not
  // finished, pipelined requests) until it closes too or a bound is hit. Closing with unread
  // bytes would send a reset, and a reset can destroy the answer before the client reads it.
  void LingeringClose() {
    if (state_ == kClosed || state_ == kLingering) return;
    state_ = kLingering;
    EndFirstRequest();
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return HardClose();
    linger_left_ = server_.opts.linger_bytes;
    linger_left_ -= std::min(linger_left_, buffer_.size());
    buffer_.clear();
    buffer_.shrink_to_fit();
    stream_.expires_after(server_.opts.linger_timeout);
    Discard();
  }

  void Discard() {
    static thread_local std::array<char, 16 * 1024> sink;  // contents never looked at
    stream_.async_read_some(asio::buffer(sink),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              if (ec || n >= self->linger_left_) return self->HardClose();
                              self->linger_left_ -= n;
                              self->Discard();
                            });
  }

  void HardClose() {
    if (state_ == kClosed) return;
    state_ = kClosed;
    EndFirstRequest();
    if (pipe_) pipe_->Cancel();
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.close();
  }

  Stream stream_;
  HttpServer::Impl& server_;
  Shard& shard_;
  ConnectionSlot slot_;
  std::list<std::weak_ptr<SessionBase>>::iterator self_in_shard_ GUARDED_BY(shard_.mu);
  bool registered_ GUARDED_BY(shard_.mu) = false;
  State state_ = kReading;
  SteadyClock::time_point read_since_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  // Rarely set, so behind pointers: a Session lives in its thousands during a connect storm,
  // and the allocator keeps what they freed (docs/performance/fanout.md).
  std::unique_ptr<http::request<http::string_body>> upgrade_request_;
  std::string out_head_, out_body_;  // what is being written
  std::string peer_;                 // the remote address, for the handler (rate limits)
  std::shared_ptr<BodyPipe> pipe_;   // a streamed body being written
  bool chunked_ = false;
  size_t body_limit_ = 0;  // of the request being read
  // A :batch request's answer if its body is too large for anyone but a live gateway.
  std::unique_ptr<HttpResponse> batch_refusal_;
  size_t linger_left_ = 0;
  bool keep_alive_ = true;
  bool counted_ = false;
  // For the server's RequestObserver: the id of the request being answered and when it was
  // read; observed_ is reset once told, so each request is told once.
  std::optional<uint32_t> observed_;
  SteadyClock::time_point read_at_;
  bool head_only_ = false;  // the request being answered is a HEAD
  // sync/vote_probe.h (0 unless URNA_VOTE_PROBE=1): when the request was read, its answer's
  // write started, and the last answer was written.
  int64_t probe_read_ = 0, probe_write_ = 0, probe_written_ = 0;
  bool first_request_ = true;  // counted in the server's first_requests
};

}  // namespace

void HttpServer::Impl::StartSession(Shard& shard, Socket socket, ConnectionSlot slot) {
  std::make_shared<Session>(std::move(socket), *this, shard, std::move(slot))->Start();
}

void HttpServer::Impl::SweepNow(Shard& shard) {
  std::vector<std::shared_ptr<SessionBase>> live;
  {
    MutexLock lock(shard.mu);
    live.reserve(shard.sessions.size());
    for (auto& w : shard.sessions) {
      if (auto s = w.lock()) live.push_back(std::move(s));
    }
  }
  auto now = SteadyClock::now();
  for (auto& s : live) s->Sweep(now);
}

}  // namespace urna::net
