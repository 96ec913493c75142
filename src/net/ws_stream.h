// WsStream: a connection upgraded to a WebSocket (RFC 6455, Boost.Beast) that pushes text
// messages latest-wins like SseStream (PushStreamBase: the same write timeout, the same
// bounded buffer). Beast answers pings, sends a keep-alive ping of its own every `keepalive` and
// closes a peer that stays silent for two of them; a close from the viewer is answered cleanly.
// Messages from the viewer are read and ignored. Owned by shared_ptrs; runs on its PushQueue's
// thread (a read-side thread); Push may be called from any thread.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "net/push_stream_base.h"
#include "net/stream_types.h"

namespace urna::net {

class WsStream final : public PushStreamBase {
 public:
  WsStream(Socket socket, PushQueue& queue, ConnectionSlot slot);
  // On the queue's thread.
  void Start(boost::beast::http::request<boost::beast::http::string_body> upgrade,
             std::chrono::seconds keepalive,
             std::function<void(std::shared_ptr<PushStream>)> on_open);

 private:
  Sent Send(const Message& message) override;
  void CloseTransport() override;
  void Read();

  // On the plain socket: Beast's websocket keeps its own timers, and a tcp_stream under it
  // would add a timer operation to every write of every broadcast.
  boost::beast::websocket::stream<Socket> ws_;
  std::array<char, 64> discard_;  // what viewers send is read and dropped
};

}  // namespace urna::net
