// Hex: bytes as lowercase hexadecimal text and back, the one home of that encoding (digests,
// signatures, pseudonyms, random secrets, UUIDs, JSON \u escapes). Written here rather than
// taken from a library because core uses the standard library only (docs/architecture.md §6)
// and the encoding is a few lines; OpenSSL's OPENSSL_buf2hexstr writes uppercase with
// separators. Pure functions, any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace urna {

// Two lowercase hex digits per byte, most significant nibble first: {0x0f, 0xa0} -> "0fa0".
std::string HexEncode(std::span<const unsigned char> bytes);
inline std::string HexEncode(std::string_view bytes) {
  return HexEncode(std::span(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()));
}

// Appends the two lowercase hex digits of `byte` to `out`.
void AppendHexByte(std::string& out, uint8_t byte);

// The value of one hex digit, either case (0-15), or -1 for any other character.
int HexDigitValue(char c);

// Decodes exactly `out.size()` bytes from `hex`, which must be 2 * out.size() lowercase hex
// digits (the form HexEncode writes, so one value has one text). False for anything else;
// `out` is then unspecified.
bool HexDecode(std::string_view hex, std::span<unsigned char> out);

}  // namespace urna
