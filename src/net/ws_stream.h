// WsStream: a connection upgraded to a WebSocket (RFC 6455, Boost.Beast) that pushes text
// messages latest-wins like SseStream. Beast answers pings, sends keep-alive pings of its own
// and closes a peer that stays silent past the idle timeout; a close from the viewer is
// answered cleanly. Messages from the viewer are read and ignored. Owned by shared_ptrs; runs on
// its connection's thread; Push may be called from any thread.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "net/connection_limiter.h"
#include "net/http_types.h"
#include "net/stream_types.h"

namespace urna::net {

class WsStream final : public PushStream, public std::enable_shared_from_this<WsStream> {
 public:
  WsStream(Stream stream, ConnectionSlot slot);
  void Start(boost::beast::http::request<boost::beast::http::string_body> upgrade,
             std::function<void(std::shared_ptr<PushStream>)> on_open);

  void Push(std::shared_ptr<const std::string> message) override;
  bool closed() const override { return closed_; }

 private:
  void Write(std::shared_ptr<const std::string> message);
  void Read();

  boost::beast::websocket::stream<Stream> ws_;
  std::array<char, 64> discard_;  // what viewers send is read and dropped
  std::shared_ptr<const std::string> writing_, pending_;
  std::atomic<bool> closed_{false};
  ConnectionSlot slot_;  // released when the stream is destroyed
};

}  // namespace urna::net
