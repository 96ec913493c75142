#include "net/sse_stream.h"

#include <boost/asio/write.hpp>

namespace urna::net {

namespace asio = boost::asio;

SseStream::SseStream(Socket socket, PushQueue& queue, ConnectionSlot slot)
    : PushStreamBase(queue, std::move(slot)), socket_(std::move(socket)) {}

void SseStream::Start(std::string head, std::function<void(std::shared_ptr<PushStream>)> on_open) {
  boost::system::error_code ec;
  socket_.non_blocking(true, ec);
  Register();
  SendFirst(std::make_shared<const std::string>(std::move(head)));
  on_open(shared_from_this());
  WatchForClose();
}

PushStreamBase::Sent SseStream::Send(const Message& message) {
  boost::system::error_code ec;
  size_t n = socket_.write_some(asio::buffer(*message), ec);
  if (ec && ec != asio::error::would_block && ec != asio::error::try_again) return Sent::kFailed;
  if (n == message->size()) return Sent::kDone;
  asio::async_write(socket_, asio::buffer(*message) + n,
                    [self = shared_from_this(), message](boost::system::error_code ec, size_t) {
                      static_cast<SseStream&>(*self).OnSent(!ec);
                    });
  return Sent::kPending;
}

void SseStream::WatchForClose() {
  socket_.async_read_some(asio::buffer(sink_),
                          [self = shared_from_this()](boost::system::error_code ec, size_t) {
                            auto& s = static_cast<SseStream&>(*self);
                            if (ec) return s.Close();
                            s.WatchForClose();
                          });
}

void SseStream::CloseTransport() {
  boost::system::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket_.close(ec);
}

}  // namespace urna::net
