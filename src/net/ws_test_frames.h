// Test helper shared by the WebSocket tests (ws_frame_test, ws_stream_test): a frame as a viewer
// sends it, masked (RFC 6455 §5.3) unless `mask` is false, with any payload length.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace urna::net::testing {

inline std::string ClientFrame(uint8_t first, std::string_view payload, bool mask = true) {
  std::string f(1, static_cast<char>(first));
  uint8_t m = mask ? 0x80 : 0;
  if (payload.size() < 126) {
    f += static_cast<char>(m | payload.size());
  } else if (payload.size() <= 0xFFFF) {
    f += static_cast<char>(m | 126);
    f += static_cast<char>(payload.size() >> 8);
    f += static_cast<char>(payload.size() & 0xFF);
  } else {
    f += static_cast<char>(m | 127);
    for (int i = 7; i >= 0; --i) f += static_cast<char>((payload.size() >> (8 * i)) & 0xFF);
  }
  const char key[4] = {0x11, 0x22, 0x33, 0x44};
  if (mask) f.append(key, 4);
  for (size_t i = 0; i < payload.size(); ++i) f += mask ? payload[i] ^ key[i % 4] : payload[i];
  return f;
}

}  // namespace urna::net::testing
