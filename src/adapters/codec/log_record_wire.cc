#include "adapters/codec/log_record_wire.h"

#include <cstdint>
#include <string>

namespace urna::codec {
namespace {

constexpr uint32_t kVarint = 0, kLengthDelimited = 2;

// Reads the bytes one field at a time. Every "false" means "not the usual shape".
class WireReader {
 public:
  explicit WireReader(std::string_view bytes) : at_(bytes.data()), end_(at_ + bytes.size()) {}
  bool done() const { return at_ == end_; }

  // A varint of at most 9 bytes (63 bits: never negative as an int64).
  bool Varint(uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 63; shift += 7) {
      if (at_ == end_) return false;
      const auto b = static_cast<unsigned char>(*at_++);
      v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (b < 0x80) return true;
    }
    return false;
  }
  // A field's tag: its number and wire type (one-byte tags only: fields 1..15).
  bool Tag(uint32_t& field, uint32_t& type) {
    if (at_ == end_) return false;
    const auto b = static_cast<unsigned char>(*at_++);
    if (b >= 0x80) return false;
    field = b >> 3;
    type = b & 7;
    return field != 0;
  }
  // A length-delimited field's bytes.
  bool Bytes(std::string_view& v) {
    uint64_t len = 0;
    if (!Varint(len) || len > static_cast<uint64_t>(end_ - at_)) return false;
    v = std::string_view(at_, len);
    at_ += len;
    return true;
  }
  // A string field: proto3 strings must be UTF-8, which libprotobuf checks; ASCII is, the rest
  // is left to it.
  bool Ascii(std::string& out) {
    std::string_view v;
    if (!Bytes(v)) return false;
    for (char c : v) {
      if (static_cast<unsigned char>(c) >= 0x80) return false;
    }
    out.assign(v);
    return true;
  }

 private:
  const char* at_;
  const char* end_;
};

bool DecodeVote(std::string_view bytes, VoteEvent& v) {
  WireReader r(bytes);
  uint32_t seen = 0;  // bit per field number: a repeated field is left to libprotobuf
  while (!r.done()) {
    uint32_t field = 0, type = 0;
    if (!r.Tag(field, type) || (seen & (1u << field))) return false;
    seen |= 1u << field;
    bool ok = false;
    if (field == 5 && type == kVarint) {
      uint64_t t = 0;
      ok = r.Varint(t);
      v.ingest_time_ms = static_cast<int64_t>(t);
    } else if (type == kLengthDelimited) {
      switch (field) {
        case 1:
          ok = r.Ascii(v.vote_id);
          break;
        case 2:
          ok = r.Ascii(v.election_id);
          break;
        case 3:
          ok = r.Ascii(v.option_id);
          break;
        case 4:
          ok = r.Ascii(v.voter_id);
          break;
        case 6:
          ok = r.Ascii(v.ingest_node);
          break;
        default:
          break;
      }
    }
    if (!ok) return false;
  }
  return true;
}

bool DecodeSeal(std::string_view bytes, SealMarker& s) {
  WireReader r(bytes);
  uint32_t seen = 0;
  while (!r.done()) {
    uint32_t field = 0, type = 0;
    if (!r.Tag(field, type) || (seen & (1u << field))) return false;
    seen |= 1u << field;
    bool ok = false;
    if (field == 1 && type == kLengthDelimited) {
      ok = r.Ascii(s.election_id);
    } else if (field == 2 && type == kVarint) {
      uint64_t t = 0;
      ok = r.Varint(t);
      s.closed_at_ms = static_cast<int64_t>(t);
    }
    if (!ok) return false;
  }
  return true;
}

}  // namespace

bool DecodeUsualLogRecord(std::string_view bytes, LogRecordValue& out) {
  // Exactly one field: the vote (1) or the seal (2). Two (a oneof set twice, a message merged)
  // or none are left to libprotobuf.
  WireReader r(bytes);
  uint32_t field = 0, type = 0;
  std::string_view body;
  if (!r.Tag(field, type) || type != kLengthDelimited || !r.Bytes(body) || !r.done()) {
    return false;
  }
  if (field == 1) return DecodeVote(body, out.vote.emplace());
  if (field == 2) return DecodeSeal(body, out.seal.emplace());
  return false;
}

}  // namespace urna::codec
