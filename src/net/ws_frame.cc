#include "net/ws_frame.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <boost/beast/http/field.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <algorithm>

#include "net/http_date.h"

namespace urna::net {

namespace http = boost::beast::http;

namespace {
std::string HttpError(unsigned status, std::string_view reason, std::string_view extra,
                      std::string_view message) {
  std::string body = std::string(R"({"error":{"code":"invalid_request","message":")") +
                     std::string(message) + "\"}}";
  return "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) +
         "\r\nServer: urna\r\nDate: " + HttpDate() + "\r\nConnection: close\r\n" +
         std::string(extra) +
         "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}
}  // namespace

std::string WsHandshakeAnswer(const http::request<http::string_body>& req, std::string& error) {
  if (!boost::beast::websocket::is_upgrade(req)) {
    error = HttpError(400, "Bad Request", "", "not a WebSocket upgrade request");
    return "";
  }
  if (req[http::field::sec_websocket_version] != "13") {
    error = HttpError(426, "Upgrade Required", "Sec-WebSocket-Version: 13\r\n",
                      "this server speaks WebSocket version 13");
    return "";
  }
  // The key is 16 random bytes in base64: 24 characters.
  auto key = req[http::field::sec_websocket_key];
  unsigned char raw[18];
  if (key.size() != 24 ||
      EVP_DecodeBlock(raw, reinterpret_cast<const unsigned char*>(key.data()), 24) != 18 ||
      key.substr(22) != "==") {
    error = HttpError(400, "Bad Request", "", "missing or malformed Sec-WebSocket-Key");
    return "";
  }
  std::string joined = std::string(key) + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(joined.data()), joined.size(), digest);
  unsigned char accept[29];  // 28 characters and a NUL
  EVP_EncodeBlock(accept, digest, SHA_DIGEST_LENGTH);
  return "HTTP/1.1 101 Switching Protocols\r\nServer: urna\r\nDate: " + HttpDate() +
         "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
         std::string(reinterpret_cast<const char*>(accept), 28) + "\r\n\r\n";
}

size_t WsFrameHeader(WsOpcode opcode, uint64_t payload_size, std::array<uint8_t, 10>& out) {
  out[0] = 0x80 | static_cast<uint8_t>(opcode);  // FIN, no extension bits
  if (payload_size < 126) {
    out[1] = static_cast<uint8_t>(payload_size);  // no mask: server frames are never masked
    return 2;
  }
  if (payload_size <= 0xFFFF) {
    out[1] = 126;
    out[2] = static_cast<uint8_t>(payload_size >> 8);
    out[3] = static_cast<uint8_t>(payload_size);
    return 4;
  }
  out[1] = 127;
  for (int i = 0; i < 8; ++i) out[2 + i] = static_cast<uint8_t>(payload_size >> (56 - 8 * i));
  return 10;
}

std::string WsControlFrame(WsOpcode opcode, std::string_view payload) {
  std::array<uint8_t, 10> head;
  size_t n = WsFrameHeader(opcode, std::min<size_t>(payload.size(), 125), head);
  std::string frame(reinterpret_cast<const char*>(head.data()), n);
  frame.append(payload.substr(0, 125));
  return frame;
}

std::string WsCloseFrame(uint16_t code) {
  const char body[2] = {static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
  return WsControlFrame(WsOpcode::kClose, std::string_view(body, 2));
}

bool WsValidCloseCode(uint16_t code) {
  // 1004 is reserved; 1005, 1006 and 1015 must never be on the wire (RFC 6455 §7.4.1); 1012-1014
  // are registered with IANA; 3000-3999 are for libraries, 4000-4999 private.
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
         (code >= 3000 && code <= 4999);
}

WsFrameReader::Event WsFrameReader::Feed(const uint8_t* data, size_t size, size_t& used) {
  used = 0;
  while (used < size) {
    if (!in_payload_) {
      head_[head_have_++] = data[used++];
      if (head_have_ == 2) {
        if ((head_[1] & 0x80) == 0) return Event::kProtocolError;  // a viewer must mask
        uint8_t len = head_[1] & 0x7F;
        head_need_ = 2 + (len == 126 ? 2 : len == 127 ? 8 : 0) + 4;  // + the mask key
      }
      if (head_have_ < head_need_) continue;
      if (Event e = EndOfHeader(); e != Event::kNone) return e;
      if (left_ > 0) continue;
      if (Event e = EndOfFrame(); e != Event::kNone) return e;
      continue;
    }
    size_t n = static_cast<size_t>(std::min<uint64_t>(left_, size - used));
    if (opcode_ >= static_cast<uint8_t>(WsOpcode::kClose)) {  // control data is kept, unmasked
      for (size_t i = 0; i < n; ++i)
        control_.push_back(static_cast<char>(data[used + i] ^ mask_[mask_pos_++ & 3]));
    }
    used += n;
    left_ -= n;
    if (left_ == 0) {
      if (Event e = EndOfFrame(); e != Event::kNone) return e;
    }
  }
  return Event::kNone;
}

WsFrameReader::Event WsFrameReader::EndOfHeader() {
  fin_ = head_[0] & 0x80;
  opcode_ = head_[0] & 0x0F;
  if ((head_[0] & 0x70) != 0 || (head_[1] & 0x80) == 0) return Event::kProtocolError;  // RSV, mask
  uint8_t len7 = head_[1] & 0x7F;
  uint64_t len = len7;
  size_t at = 2;
  if (len7 == 126) {
    len = (uint64_t{head_[2]} << 8) | head_[3];
    at = 4;
  } else if (len7 == 127) {
    len = 0;
    for (int i = 0; i < 8; ++i) len = (len << 8) | head_[2 + i];
    at = 10;
    if (len >> 63) return Event::kProtocolError;
  }
  std::copy_n(head_.begin() + at, 4, mask_.begin());
  mask_pos_ = 0;
  switch (static_cast<WsOpcode>(opcode_)) {
    case WsOpcode::kClose:
    case WsOpcode::kPing:
    case WsOpcode::kPong:
      if (!fin_ || len > 125) return Event::kProtocolError;
      control_.clear();
      break;
    case WsOpcode::kText:
    case WsOpcode::kBinary:
      if (in_message_) return Event::kProtocolError;  // a new message inside a fragmented one
      message_size_ = 0;
      in_message_ = !fin_;
      break;
    case WsOpcode::kCont:
      if (!in_message_) return Event::kProtocolError;
      in_message_ = !fin_;
      break;
    default:
      return Event::kProtocolError;  // reserved opcodes
  }
  if (opcode_ < static_cast<uint8_t>(WsOpcode::kClose)) {
    message_size_ += len;
    if (message_size_ > max_message_) return Event::kTooBig;
  }
  left_ = len;
  in_payload_ = true;
  return Event::kNone;
}

WsFrameReader::Event WsFrameReader::EndOfFrame() {
  in_payload_ = false;
  head_have_ = 0;
  head_need_ = 2;
  switch (static_cast<WsOpcode>(opcode_)) {
    case WsOpcode::kPing:
      return Event::kPing;
    case WsOpcode::kPong:
      return Event::kPong;
    case WsOpcode::kClose:
      if (control_.empty()) return Event::kClose;  // no status code: allowed
      if (control_.size() == 1) return Event::kProtocolError;
      return WsValidCloseCode(
                 static_cast<uint16_t>((uint8_t(control_[0]) << 8) | uint8_t(control_[1])))
                 ? Event::kClose
                 : Event::kProtocolError;
    default:
      return Event::kNone;  // data: dropped
  }
}

}  // namespace urna::net
