// WireReader: reads protobuf wire format in place, for the one log record parser
// (log_record_wire.h) and the receipt view (receipt_view.h). It takes only the plain forms: every
// method answers false on anything else (truncation, a varint of 10 bytes or more, a length of
// more than 5 bytes, a tag of more than 2 bytes, field 0, a group or an invalid wire type, a
// string with a byte >= 0x80), and the caller then hands the bytes to libprotobuf's message
// parser, which is the judge of what is valid.
// Why by hand: Debian's protobuf 3.21 parses a message with an internal reader
// (EpsCopyInputStream, not public API) whose rules the public io::CodedInputStream does not
// share: e.g. CodedInputStream reads a length of up to 10 bytes where the parser refuses more
// than 5 (log_record_wire_test.cc, CodedInputStreamReadsLengthsTheParserRefuses, shows both), so
// a view decoder built on CodedInputStream would accept records that DecodeLogRecord /
// DecodeReceipt refuse. And neither gives views of a message's fields without building the
// message (strings and all). A value type over borrowed bytes; any thread.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace urna::codec {

enum class WireType : uint8_t { kVarint = 0, kFixed64 = 1, kLen = 2, kFixed32 = 5 };

class WireReader {
 public:
  explicit WireReader(std::string_view bytes)
      : p_(reinterpret_cast<const uint8_t*>(bytes.data())), end_(p_ + bytes.size()) {}

  bool done() const { return p_ == end_; }

  // A varint of at most 9 bytes (values below 2^63: every field we write but negative ones).
  bool Varint(uint64_t* out) {
    uint64_t v = 0;
    for (int shift = 0; shift < 63; shift += 7) {
      if (p_ == end_) return false;
      const uint8_t b = *p_++;
      v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (b < 0x80) {
        *out = v;
        return true;
      }
    }
    return false;
  }

  // A tag of one or two bytes (field numbers 1..2047) with a wire type this reader knows.
  bool Tag(uint32_t* field, WireType* type) {
    if (p_ == end_) return false;
    uint32_t tag = *p_++;
    if (tag >= 0x80) {
      if (p_ == end_ || *p_ >= 0x80) return false;
      tag = (tag & 0x7F) | (static_cast<uint32_t>(*p_++) << 7);
    }
    *field = tag >> 3;
    const uint32_t t = tag & 7;
    if (*field == 0 || (t != 0 && t != 1 && t != 2 && t != 5)) return false;
    *type = static_cast<WireType>(t);
    return true;
  }

  // A length-delimited field's bytes. The length is read as libprotobuf's parser reads one
  // (ReadSize in google/protobuf/parse_context.h): at most 5 bytes, where a varint may have 10;
  // it refuses a longer (padded) length, so this leaves it to it.
  bool Bytes(std::string_view* out) {
    uint64_t n = 0;
    for (int shift = 0; shift < 35; shift += 7) {
      if (p_ == end_) return false;
      const uint8_t b = *p_++;
      n |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (b < 0x80) {
        if (n > static_cast<uint64_t>(end_ - p_)) return false;
        *out = std::string_view(reinterpret_cast<const char*>(p_), n);
        p_ += n;
        return true;
      }
    }
    return false;
  }

  // A string field whose bytes are all ASCII (so valid UTF-8, as protobuf requires of proto3
  // strings; anything else is left to protobuf's own check).
  bool AsciiString(std::string_view* out) {
    if (!Bytes(out)) return false;
    uint8_t any = 0;
    for (char c : *out) any |= static_cast<uint8_t>(c);
    return any < 0x80;
  }

  // Skips the value of a field this reader does not read.
  bool Skip(WireType type) {
    uint64_t n;
    std::string_view s;
    switch (type) {
      case WireType::kVarint:
        return Varint(&n);
      case WireType::kFixed64:
        return Advance(8);
      case WireType::kLen:
        return Bytes(&s);
      case WireType::kFixed32:
        return Advance(4);
    }
    return false;
  }

 private:
  bool Advance(size_t n) {
    if (n > static_cast<size_t>(end_ - p_)) return false;
    p_ += n;
    return true;
  }
  const uint8_t* p_;
  const uint8_t* end_;
};

}  // namespace urna::codec
