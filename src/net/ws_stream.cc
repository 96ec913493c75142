#include "net/ws_stream.h"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

namespace urna::net {

namespace asio = boost::asio;
namespace beast = boost::beast;

namespace {
const PushStreamBase::Message& PingFrame() {
  static const auto frame =
      std::make_shared<const std::string>(WsControlFrame(WsOpcode::kPing, ""));
  return frame;
}
std::shared_ptr<const std::string> Frame(std::string s) {
  return std::make_shared<const std::string>(std::move(s));
}
// What viewers send is read here and dropped (after WsFrameReader has looked at it): one buffer
// per thread, none per connection.
std::array<uint8_t, 16 * 1024>& ReadScratch() {
  thread_local std::array<uint8_t, 16 * 1024> scratch;
  return scratch;
}
}  // namespace

struct WsStream::Linger {
  explicit Linger(const Executor& ex) : timer(ex) {}
  boost::asio::steady_timer timer;
};

WsStream::WsStream(Socket socket, PushQueue& queue, ConnectionSlot slot)
    : PushStreamBase(queue, std::move(slot)), socket_(std::move(socket)) {}

WsStream::~WsStream() = default;

void WsStream::Start(beast::http::request<beast::http::string_body> upgrade,
                     std::chrono::seconds keepalive,
                     std::function<void(std::shared_ptr<PushStream>)> on_open) {
  keepalive_ = keepalive;
  boost::system::error_code ec;
  socket_.non_blocking(true, ec);
  // Listed first, so a server stop (CloseAll) also reaches a stream whose answer is still being
  // written: none opens (and subscribes) after the stop.
  Register();
  std::string error;
  std::string answer = WsHandshakeAnswer(upgrade, error);
  if (!error.empty()) return SendClosing(std::move(error));
  SendFirst(Frame(std::move(answer)));
  if (closed()) return;
  open_ = true;
  heard_ = std::chrono::steady_clock::now();
  on_open(shared_from_this());
  Read();
}

PushStreamBase::Sent WsStream::Send(const Message& message) {
  return WriteGather(WsFrameHeader(WsOpcode::kText, message->size(), head_), message);
}

PushStreamBase::Sent WsStream::SendRaw(const Message& frame) { return WriteGather(0, frame); }

PushStreamBase::Sent WsStream::WriteGather(size_t head_size, const Message& keep) {
  std::array<asio::const_buffer, 2> bufs{asio::buffer(head_.data(), head_size),
                                         asio::buffer(*keep)};
  boost::system::error_code ec;
  size_t n = socket_.write_some(bufs, ec);
  if (ec && ec != asio::error::would_block && ec != asio::error::try_again) return Sent::kFailed;
  if (n == head_size + keep->size()) {
    if (keep == closing_) closing_written_ = true;
    return Sent::kDone;
  }
  // The socket is full: the rest waits for it (rare: a frame is a few hundred bytes).
  if (n < head_size) {
    bufs[0] = asio::buffer(head_.data() + n, head_size - n);
  } else {
    bufs[0] = asio::buffer(*keep) + (n - head_size);
    bufs[1] = asio::const_buffer();
  }
  asio::async_write(socket_, bufs,
                    [self = shared_from_this(), keep](boost::system::error_code ec, size_t) {
                      auto& s = static_cast<WsStream&>(*self);
                      if (!ec && keep == s.closing_) s.closing_written_ = true;
                      s.OnSent(!ec);
                    });
  return Sent::kPending;
}

void WsStream::Read() {
  socket_.async_wait(asio::socket_base::wait_read,
                     [self = shared_from_this()](boost::system::error_code ec) {
                       auto& s = static_cast<WsStream&>(*self);
                       if (ec) return s.Close();  // closed by us
                       s.OnReadable();
                     });
}

void WsStream::OnReadable() {
  if (closed()) return;
  // Everything the socket holds, a scratch buffer at a time (bounded, so one viewer that keeps
  // sending cannot hold the thread: the next wait comes back at once).
  auto& scratch = ReadScratch();
  for (int reads = 0; reads < 16; ++reads) {
    boost::system::error_code ec;
    size_t n = socket_.read_some(asio::buffer(scratch), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) break;
    if (ec) return Close();  // gone (EOF or error)
    if (!Consume(scratch.data(), n)) return;
    if (n < scratch.size()) break;  // the socket is empty
  }
  Read();
}

bool WsStream::Consume(const uint8_t* data, size_t n) {
  heard_ = std::chrono::steady_clock::now();
  pinged_ = false;
  for (size_t at = 0; at < n;) {
    size_t used = 0;
    auto event = reader_.Feed(data + at, n - at, used);
    at += used;
    switch (event) {
      case WsFrameReader::Event::kNone:
      case WsFrameReader::Event::kPong:
        break;
      case WsFrameReader::Event::kPing:
        SendControl(Frame(WsControlFrame(WsOpcode::kPong, reader_.payload())), false);
        break;
      case WsFrameReader::Event::kClose:
        // The close handshake: echo the viewer's status code, then end the connection.
        SendClosing(
            WsControlFrame(WsOpcode::kClose, std::string_view(reader_.payload()).substr(0, 2)));
        return false;
      case WsFrameReader::Event::kProtocolError:
        SendClosing(WsCloseFrame(kWsCloseProtocolError));
        return false;
      case WsFrameReader::Event::kTooBig:
        SendClosing(WsCloseFrame(kWsCloseTooBig));
        return false;
    }
  }
  return !closed();  // a pong that could not be written closes it
}

void WsStream::OnSweep(std::chrono::steady_clock::time_point now) {
  // Not open yet: the handshake's answer (or refusal) is being written, under the write timeout
  // like any write (the request itself was read under the session's timeouts).
  if (!open_) return;
  auto silent = now - heard_;
  // Closed after two keep-alives of silence, and never before its ping was sent (the sweep's
  // beat may drift past both marks at once).
  if (silent >= 2 * keepalive_ && pinged_) return Close();
  if (silent >= keepalive_ && !pinged_) {
    pinged_ = true;
    SendControl(PingFrame(), false);
  }
}

void WsStream::OnShutdown() {
  // No linger here (the server's threads are ending): the frame is written at once if the
  // socket takes it whole, then only the sending side is shut, after reading what the viewer
  // sent (closing with unread bytes would reset the connection and could destroy the frame).
  // A frame half written, or a closing frame already sent: nothing more can be said.
  if (!open_ || closing_ || write_in_flight()) return;
  constexpr uint16_t kGoingAway = 1001;
  const std::string frame = WsCloseFrame(kGoingAway);
  boost::system::error_code ec;
  size_t n = socket_.write_some(asio::buffer(frame), ec);
  if (ec || n != frame.size()) return;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  for (int reads = 0; reads < 16 && !ec; ++reads)
    socket_.read_some(asio::buffer(ReadScratch()), ec);
}

void WsStream::SendClosing(std::string frame) {
  if (closing_) return;
  closing_ = Frame(std::move(frame));
  SendControl(closing_, /*then_close=*/true);
}

void WsStream::CloseTransport() {
  boost::system::error_code ec;
  if (!closing_written_) {  // broken, timed out, silent, or the server stops: at once
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    return;
  }
  // The viewer has the close frame (or refusal) in its socket: a FIN after it, and the viewer's
  // last bytes read, so the kernel never answers them with a reset that could destroy it.
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  linger_ = std::make_unique<Linger>(socket_.get_executor());
  linger_->timer.expires_after(std::chrono::seconds(kWsCloseLingerSeconds));
  linger_->timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) static_cast<WsStream&>(*self).EndLinger();
  });
  Drain();
}

void WsStream::Drain() {
  socket_.async_wait(asio::socket_base::wait_read,
                     [self = shared_from_this()](boost::system::error_code ec) {
                       auto& s = static_cast<WsStream&>(*self);
                       if (ec) return s.EndLinger();
                       for (int reads = 0; reads < 16; ++reads) {
                         s.socket_.read_some(asio::buffer(ReadScratch()), ec);
                         if (ec == asio::error::would_block || ec == asio::error::try_again)
                           return s.Drain();
                         if (ec) return s.EndLinger();  // the viewer's EOF, at last
                       }
                       s.Drain();
                     });
}

void WsStream::EndLinger() {
  boost::system::error_code ec;
  socket_.close(ec);  // ends the other wait too
  if (linger_) linger_->timer.cancel();
}

}  // namespace urna::net
