#include "net/sse_stream.h"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

namespace urna::net {

namespace asio = boost::asio;

SseStream::SseStream(Stream stream, std::chrono::seconds write_timeout, ConnectionSlot slot)
    : stream_(std::move(stream)), write_timeout_(write_timeout), slot_(std::move(slot)) {}

void SseStream::Start(std::string head, std::function<void(std::shared_ptr<PushStream>)> on_open) {
  Write(std::make_shared<const std::string>(std::move(head)));
  on_open(shared_from_this());
  WatchForClose();
}

void SseStream::Push(std::shared_ptr<const std::string> message) {
  if (closed_) return;
  asio::post(stream_.get_executor(), [self = shared_from_this(), m = std::move(message)]() mutable {
    if (self->closed_) return;
    if (self->writing_) {
      self->pending_ = std::move(m);  // latest wins: an older pending message is dropped
    } else {
      self->Write(std::move(m));
    }
  });
}

void SseStream::Write(std::shared_ptr<const std::string> message) {
  writing_ = std::move(message);
  stream_.expires_after(write_timeout_);
  asio::async_write(stream_, asio::buffer(*writing_),
                    [self = shared_from_this()](boost::system::error_code ec, size_t) {
                      self->writing_.reset();
                      if (ec) return self->Close();  // includes the timeout of a stuck reader
                      if (self->pending_) self->Write(std::move(self->pending_));
                    });
}

void SseStream::WatchForClose() {
  // On the raw socket, so the write timeout does not apply to this never-ending read.
  stream_.socket().async_read_some(
      asio::buffer(sink_), [self = shared_from_this()](boost::system::error_code ec, size_t) {
        if (ec) return self->Close();
        self->WatchForClose();
      });
}

void SseStream::Close() {
  if (closed_.exchange(true)) return;
  pending_.reset();
  boost::system::error_code ec;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  stream_.close();
}

}  // namespace urna::net
