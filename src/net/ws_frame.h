// WebSocket for a push-only server (RFC 6455), private to src/net: the handshake's answer, the
// header of a server frame, and a reader of what a viewer sends. Written here because no library
// fits a server that sends one framed message to many viewers and keeps almost nothing per
// viewer: Beast's websocket::stream cannot write one framed message shared by every viewer and
// keeps ~3 KiB of state per connection (buffers, timers), plus as much again while it shakes
// hands; the Debian alternatives are no better: libwslay-dev keeps a 4 KiB input buffer per
// connection, libwebsocketpp-dev heavier per-connection state than Beast, and libwebsockets-dev
// wants its own event loop (the server's is Asio's). A results stream only ever sends unmasked
// text frames and pings, and from the viewer needs nothing but pings (answered), pongs and the
// close (answered), so WsStream speaks it itself with these pieces (SHA-1 and base64 for the
// handshake from OpenSSL). WsFrameReader: one per connection, on its stream's thread; plain
// data, no I/O.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace urna::net {

// The server's answer to a WebSocket upgrade request (RFC 6455 §4.2): "101 Switching Protocols"
// with Sec-WebSocket-Accept, as the head of the stream. A request the server cannot accept sets
// `error` to a whole HTTP answer instead (426 with "Sec-WebSocket-Version: 13" for another
// version, 400 for a missing or malformed Sec-WebSocket-Key or a request that is no upgrade)
// and returns "".
std::string WsHandshakeAnswer(
    const boost::beast::http::request<boost::beast::http::string_body>& request,
    std::string& error);

enum class WsOpcode : uint8_t {
  kCont = 0,
  kText = 1,
  kBinary = 2,
  kClose = 8,
  kPing = 9,
  kPong = 10
};

// The largest message a viewer may send (bytes, the fragments of one message together): a
// viewer has nothing to say but pings, pongs and the close, so a larger message is refused
// with 1009 and the connection closed (docs/api.md).
inline constexpr uint32_t kWsMaxViewerMessage = 4096;
// After the server's close frame (or handshake refusal) is written, how long it keeps reading
// and dropping what the viewer still sends, waiting for the viewer to close first (ws_stream.h).
inline constexpr int kWsCloseLingerSeconds = 5;

// Close status codes this server sends (RFC 6455 §7.4.1).
inline constexpr uint16_t kWsCloseProtocolError = 1002;
inline constexpr uint16_t kWsCloseTooBig = 1009;

// Whether a viewer may send `code` in a close frame: 1000-1003, 1007-1014, 3000-4999; any other
// (0, 999, 1004-1006, 1015, 5000, ...) is a protocol error.
bool WsValidCloseCode(uint16_t code);

// Writes the header of an unmasked, final (FIN) frame carrying `payload_size` bytes into `out`;
// returns its length (2, 4 or 10 bytes).
size_t WsFrameHeader(WsOpcode opcode, uint64_t payload_size, std::array<uint8_t, 10>& out);
// A whole unmasked control frame (payload at most 125 bytes), e.g. a ping or a close.
std::string WsControlFrame(WsOpcode opcode, std::string_view payload);
// A close frame with `code` (and no reason).
std::string WsCloseFrame(uint16_t code);

// Parses the frames a viewer sends, as they arrive in pieces. Data messages are read and
// dropped (a viewer has nothing to say; up to `max_message` bytes each, else kTooBig); control
// frames are returned whole. Each Feed call consumes bytes until it has an event to report.
class WsFrameReader {
 public:
  enum class Event {
    kNone,           // all the bytes given were consumed, nothing to report
    kPing,           // payload(): the ping's data, to echo in a pong
    kPong,           //
    kClose,          // payload(): the close frame's data (a valid status code and reason)
    kProtocolError,  // a malformed or unmasked frame, an invalid close code: close with 1002
    kTooBig,         // a data message over max_message: close with 1009
  };

  explicit WsFrameReader(uint32_t max_message) : max_message_(max_message) {}

  // Consumes bytes from data[0, size) up to the end of the next control frame (or of the data);
  // `used` says how many. After kProtocolError / kTooBig / kClose, stop feeding.
  Event Feed(const uint8_t* data, size_t size, size_t& used);
  const std::string& payload() const { return control_; }

 private:
  Event EndOfHeader();
  Event EndOfFrame();

  const uint32_t max_message_;
  std::array<uint8_t, 14> head_{};  // the header being read
  uint8_t head_have_ = 0;
  uint8_t head_need_ = 2;
  uint8_t opcode_ = 0;
  bool fin_ = false;
  bool in_payload_ = false;
  bool in_message_ = false;  // a fragmented data message is open (continuations expected)
  uint8_t mask_pos_ = 0;
  std::array<uint8_t, 4> mask_{};
  uint64_t left_ = 0;          // payload bytes of the current frame not yet read
  uint64_t message_size_ = 0;  // bytes of the current data message so far
  std::string control_;        // a control frame's payload (at most 125 bytes), unmasked
};

}  // namespace urna::net
