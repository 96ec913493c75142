#include "net/ws_stream.h"

#include <boost/beast/websocket.hpp>

namespace urna::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

WsStream::WsStream(Socket socket, PushQueue& queue, ConnectionSlot slot)
    : PushStreamBase(queue, std::move(slot)), ws_(std::move(socket)) {}

void WsStream::Start(beast::http::request<beast::http::string_body> upgrade,
                     std::chrono::seconds keepalive,
                     std::function<void(std::shared_ptr<PushStream>)> on_open) {
  websocket::stream_base::timeout t{};
  t.handshake_timeout = std::chrono::seconds(30);
  t.idle_timeout = 2 * keepalive;  // a ping at half of it; silence past it closes
  t.keep_alive_pings = true;
  ws_.set_option(t);
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set(beast::http::field::server, "urna"); }));
  ws_.text(true);
  ws_.auto_fragment(false);
  ws_.read_message_max(4096);  // viewers have nothing to say
  auto req = std::make_shared<beast::http::request<beast::http::string_body>>(std::move(upgrade));
  // Listed before the handshake, so a server stop (CloseAll) also reaches a stream still
  // shaking hands: none opens (and subscribes) after the stop.
  Register();
  ws_.async_accept(
      *req, [self = shared_from_this(), req, on_open = std::move(on_open)](beast::error_code ec) {
        auto& s = static_cast<WsStream&>(*self);
        if (ec) return s.Close();
        on_open(self);
        s.Read();
      });
}

PushStreamBase::Sent WsStream::Send(const Message& message) {
  ws_.async_write(asio::buffer(*message),
                  [self = shared_from_this(), message](beast::error_code ec, size_t) {
                    static_cast<WsStream&>(*self).OnSent(!ec);
                  });
  return Sent::kPending;
}

void WsStream::Read() {
  // A small fixed buffer rather than a dynamic one: viewers send nothing worth keeping, and a
  // dynamic buffer would hold an allocation per idle connection while the read waits.
  ws_.async_read_some(asio::buffer(discard_),
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        auto& s = static_cast<WsStream&>(*self);
                        // Closed by the viewer (answered by Beast), timed out, or broken.
                        if (ec) return s.Close();
                        s.Read();
                      });
}

void WsStream::CloseTransport() {
  beast::error_code ec;
  auto& sock = ws_.next_layer();
  sock.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  sock.close(ec);
}

}  // namespace urna::net
