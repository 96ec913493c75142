// WsStream: a connection upgraded to a WebSocket (RFC 6455) that pushes text messages
// latest-wins like SseStream (PushStreamBase: the same write timeout, the same bounded buffer).
// The handshake is answered here (WsHandshakeAnswer, written like the SSE response head) and the
// steady state is written with ws_frame.h (see there why Beast's websocket::stream is not used):
// each message is the shared snapshot bytes behind a 2-4 byte header, sent like SSE as one
// non-blocking gather write (nothing copied, no asynchronous operation unless the socket is
// full). The viewer's frames are read and dropped; pings are answered, a close is answered and
// ends the stream, a malformed or oversized frame closes it with 1002 / 1009. Whenever the
// server ends the connection after a closing frame or a refusal (400/426) was written, it shuts
// down only its sending side and reads and drops what the viewer still sends until the viewer
// closes (or kWsCloseLingerSeconds have passed): closing with unread bytes would reset the
// connection and could destroy the close frame or refusal before the viewer read it. Keep-alive: a
// ping once the viewer has been silent for `keepalive`, and a viewer silent for two of them is
// closed (checked by the queue's sweep, once a second). When the server stops, an open stream
// gets a close frame 1001 ("going away") before the end, unless a write is still in flight. Owned
// by shared_ptrs; runs on its PushQueue's thread (a read-side thread); Push may be called from any
// thread.
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
  ~WsStream() override;
  // On the queue's thread.
  void Start(boost::beast::http::request<boost::beast::http::string_body> upgrade,
             std::chrono::seconds keepalive,
             std::function<void(std::shared_ptr<PushStream>)> on_open);

 private:
  Sent Send(const Message& message) override;
  Sent SendRaw(const Message& frame) override;
  void CloseTransport() override;
  void OnSweep(std::chrono::steady_clock::time_point now) override;
  // The server stops: a close frame 1001 ("going away") if it can be written now, whole.
  void OnShutdown() override;
  // Waits until the viewer's bytes arrive, then reads them all (OnReadable).
  void Read();
  void OnReadable();
  // Feeds `n` bytes to the reader; false once the stream is ending (nothing more to read).
  bool Consume(const uint8_t* data, size_t n);
  // Writes a frame or HTTP answer after which the server ends the connection (see above).
  void SendClosing(std::string frame);
  // After the closing write: reads and drops until the viewer's EOF or the linger's end.
  void Drain();
  void EndLinger();
  // Writes header + payload (header may be empty): at once if the socket takes it whole, else
  // the rest asynchronously; `keep` holds the payload's bytes meanwhile.
  Sent WriteGather(size_t head_size, const Message& keep);

  struct Linger;  // the bound of the drain, only while it runs

  Socket socket_;
  WsFrameReader reader_{kWsMaxViewerMessage};
  std::chrono::seconds keepalive_{15};
  std::chrono::steady_clock::time_point heard_;  // the viewer's last bytes (or the open)
  bool pinged_ = false;                          // a keep-alive ping since heard_
  bool open_ = false;                            // the handshake is answered
  std::array<uint8_t, 10> head_;                 // the header of the data frame being written
  Message closing_;                              // the closing frame or refusal, once one is sent
  bool closing_written_ = false;                 // ... and written whole: CloseTransport lingers
  std::unique_ptr<Linger> linger_;               // set while draining after the close
};

}  // namespace urna::net
