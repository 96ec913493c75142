#include "net/ws_stream.h"

#include <boost/asio/post.hpp>
#include <boost/beast/websocket.hpp>

namespace urna::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

WsStream::WsStream(Stream stream, ConnectionSlot slot)
    : ws_(std::move(stream)), slot_(std::move(slot)) {}

void WsStream::Start(beast::http::request<beast::http::string_body> upgrade,
                     std::function<void(std::shared_ptr<PushStream>)> on_open) {
  beast::get_lowest_layer(ws_).expires_never();  // the websocket timeouts take over
  websocket::stream_base::timeout t{};
  t.handshake_timeout = std::chrono::seconds(30);
  t.idle_timeout = std::chrono::seconds(60);  // pings at half of it; silence past it closes
  t.keep_alive_pings = true;
  ws_.set_option(t);
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set(beast::http::field::server, "urna"); }));
  ws_.text(true);
  ws_.auto_fragment(false);
  ws_.read_message_max(4096);  // viewers have nothing to say
  auto req = std::make_shared<beast::http::request<beast::http::string_body>>(std::move(upgrade));
  ws_.async_accept(
      *req, [self = shared_from_this(), req, on_open = std::move(on_open)](beast::error_code ec) {
        if (ec) {
          self->closed_ = true;
          return;
        }
        on_open(self);
        self->Read();
      });
}

void WsStream::Push(std::shared_ptr<const std::string> message) {
  if (closed_) return;
  asio::post(ws_.get_executor(), [self = shared_from_this(), m = std::move(message)]() mutable {
    if (self->closed_) return;
    if (self->writing_) {
      self->pending_ = std::move(m);  // latest wins
    } else {
      self->Write(std::move(m));
    }
  });
}

void WsStream::Write(std::shared_ptr<const std::string> message) {
  writing_ = std::move(message);
  ws_.async_write(asio::buffer(*writing_),
                  [self = shared_from_this()](beast::error_code ec, size_t) {
                    self->writing_.reset();
                    if (ec) {
                      self->closed_ = true;
                      self->pending_.reset();
                      return;
                    }
                    if (self->pending_) self->Write(std::move(self->pending_));
                  });
}

void WsStream::Read() {
  // A small fixed buffer rather than a dynamic one: viewers send nothing worth keeping, and a
  // dynamic buffer would hold an allocation per idle connection while the read waits.
  ws_.async_read_some(asio::buffer(discard_),
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        if (ec) {  // closed by the viewer (answered by Beast), timed out, or broken
                          self->closed_ = true;
                          self->pending_.reset();
                          return;
                        }
                        self->Read();
                      });
}

}  // namespace urna::net
