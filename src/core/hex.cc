#include "core/hex.h"

namespace urna {
namespace {
constexpr char kDigits[] = "0123456789abcdef";
}  // namespace

std::string HexEncode(std::span<const unsigned char> bytes) {
  std::string out;
  out.reserve(2 * bytes.size());
  for (unsigned char b : bytes) AppendHexByte(out, b);
  return out;
}

void AppendHexByte(std::string& out, uint8_t byte) {
  out.push_back(kDigits[byte >> 4]);
  out.push_back(kDigits[byte & 15]);
}

int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool HexDecode(std::string_view hex, std::span<unsigned char> out) {
  if (hex.size() != 2 * out.size()) return false;
  for (size_t i = 0; i < out.size(); ++i) {
    char hi = hex[2 * i], lo = hex[2 * i + 1];
    if ((hi >= 'A' && hi <= 'F') || (lo >= 'A' && lo <= 'F')) return false;  // lowercase only
    int h = HexDigitValue(hi), l = HexDigitValue(lo);
    if (h < 0 || l < 0) return false;
    out[i] = static_cast<unsigned char>(h << 4 | l);
  }
  return true;
}

}  // namespace urna
