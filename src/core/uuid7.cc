#include "core/uuid7.h"

#include <random>

#include "core/hex.h"

namespace urna {
namespace {

struct Gen {
  std::mt19937_64 rng{std::random_device{}()};
  int64_t last_ms = -1;
  uint16_t counter = 0;
};

}  // namespace

std::string NewUuid7(int64_t now_ms) {
  thread_local Gen g;
  if (now_ms <= g.last_ms) {
    now_ms = g.last_ms;          // clock went back or same ms: keep order with the counter
    if (++g.counter > 0x0fff) {  // counter exhausted: borrow the next millisecond
      ++now_ms;
      g.counter = static_cast<uint16_t>(g.rng() & 0x01ff);
    }
  } else {
    g.counter = static_cast<uint16_t>(g.rng() & 0x01ff);  // random start leaves room to count
  }
  g.last_ms = now_ms;
  uint8_t b[16];
  auto ms = static_cast<uint64_t>(now_ms);
  for (int i = 0; i < 6; ++i) b[i] = static_cast<uint8_t>(ms >> (40 - 8 * i));
  b[6] = static_cast<uint8_t>(0x70 | ((g.counter >> 8) & 0x0f));
  b[7] = static_cast<uint8_t>(g.counter & 0xff);
  uint64_t r = g.rng();
  b[8] = static_cast<uint8_t>(0x80 | ((r >> 56) & 0x3f));
  for (int i = 9; i < 16; ++i) b[i] = static_cast<uint8_t>(r >> (8 * (15 - i)));
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    AppendHexByte(out, b[i]);
  }
  return out;
}

bool IsUuid7(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (HexDigitValue(s[i]) < 0) {
      return false;
    }
  }
  return s[14] == '7' && (HexDigitValue(s[19]) & 0xc) == 0x8;
}

int64_t Uuid7Millis(std::string_view s) {
  if (!IsUuid7(s)) return 0;
  int64_t ms = 0;
  for (size_t i = 0; i < 13; ++i) {
    if (s[i] == '-') continue;
    ms = (ms << 4) | HexDigitValue(s[i]);
  }
  return ms;
}

}  // namespace urna
