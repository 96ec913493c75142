// WsStream: a connection upgraded to a WebSocket (RFC 6455) that pushes text messages
// latest-wins like SseStream (PushStreamBase: the same write timeout, the same bounded buffer).
// The handshake is answered here (WsHandshakeAnswer, written like the SSE response head) and the
// steady state is written with ws_frame.h (see there why Beast's websocket::stream is not used):
// each message is the shared snapshot bytes behind a 2-4 byte header, sent like SSE as one
// non-blocking gather write (nothing copied, no asynchronous operation unless the socket is
// full). The viewer's frames are read and dropped; pings are answered, a close is answered and
// ends the stream, a malformed or oversized frame closes it with 1002 / 1009. Keep-alive: a ping
// once the viewer has been silent for `keepalive`, and a viewer silent for two of them is closed
// (checked by the queue's sweep, once a second). Owned by shared_ptrs; runs on its PushQueue's
// thread (a read-side thread); Push may be called from any thread.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "net/push_stream_base.h"
#include "net/stream_types.h"
#include "net/ws_frame.h"

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
  Sent SendRaw(const Message& frame) override;
  void CloseTransport() override;
  void OnSweep(std::chrono::steady_clock::time_point now) override;
  void Read();
  void OnRead(size_t n);
  // Writes header + payload (header may be empty): at once if the socket takes it whole, else
  // the rest asynchronously; `keep` holds the payload's bytes meanwhile.
  Sent WriteGather(size_t head_size, const Message& keep);

  Socket socket_;
  WsFrameReader reader_{4096};  // viewers have nothing to say: 4 KiB per message at most
  std::chrono::seconds keepalive_{15};
  std::chrono::steady_clock::time_point heard_;  // the viewer's last bytes (or the open)
  bool pinged_ = false;                          // a keep-alive ping since heard_
  bool open_ = false;                            // the handshake is answered
  std::array<uint8_t, 10> head_;                 // the header of the data frame being written
  std::array<uint8_t, 64> in_;                   // what viewers send is read here
};

}  // namespace urna::net
