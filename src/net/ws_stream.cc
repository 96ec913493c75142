#include "net/ws_stream.h"

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
}  // namespace

WsStream::WsStream(Socket socket, PushQueue& queue, ConnectionSlot slot)
    : PushStreamBase(queue, std::move(slot)), socket_(std::move(socket)) {}

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
  if (!error.empty()) return SendControl(Frame(std::move(error)), /*then_close=*/true);
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
  if (n == head_size + keep->size()) return Sent::kDone;
  // The socket is full: the rest waits for it (rare: a frame is a few hundred bytes).
  if (n < head_size) {
    bufs[0] = asio::buffer(head_.data() + n, head_size - n);
  } else {
    bufs[0] = asio::buffer(*keep) + (n - head_size);
    bufs[1] = asio::const_buffer();
  }
  asio::async_write(socket_, bufs,
                    [self = shared_from_this(), keep](boost::system::error_code ec, size_t) {
                      static_cast<WsStream&>(*self).OnSent(!ec);
                    });
  return Sent::kPending;
}

void WsStream::Read() {
  socket_.async_read_some(asio::buffer(in_),
                          [self = shared_from_this()](boost::system::error_code ec, size_t n) {
                            auto& s = static_cast<WsStream&>(*self);
                            if (ec) return s.Close();  // gone, or closed by us
                            s.OnRead(n);
                          });
}

void WsStream::OnRead(size_t n) {
  if (closed()) return;
  heard_ = std::chrono::steady_clock::now();
  pinged_ = false;
  for (size_t at = 0; at < n;) {
    size_t used = 0;
    auto event = reader_.Feed(in_.data() + at, n - at, used);
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
        return SendControl(Frame(WsControlFrame(WsOpcode::kClose,
                                                std::string_view(reader_.payload()).substr(0, 2))),
                           true);
      case WsFrameReader::Event::kProtocolError:
        return SendControl(Frame(WsCloseFrame(kWsCloseProtocolError)), true);
      case WsFrameReader::Event::kTooBig:
        return SendControl(Frame(WsCloseFrame(kWsCloseTooBig)), true);
    }
  }
  Read();
}

void WsStream::OnSweep(std::chrono::steady_clock::time_point now) {
  if (!open_) return;  // the handshake has its own timeout (Beast's)
  auto silent = now - heard_;
  if (silent >= 2 * keepalive_) return Close();
  if (silent >= keepalive_ && !pinged_) {
    pinged_ = true;
    SendControl(PingFrame(), false);
  }
}

void WsStream::CloseTransport() {
  boost::system::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket_.close(ec);
}

}  // namespace urna::net
