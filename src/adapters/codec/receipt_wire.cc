#include "adapters/codec/receipt_wire.h"

#include "adapters/codec/receipt_fields.h"

namespace urna::codec {
namespace {

constexpr uint32_t kVarint = 0, kLengthDelimited = 2;

size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) v >>= 7, ++n;
  return n;
}

void PutVarint(uint64_t v, std::string& out) {
  char buf[10];
  size_t n = 0;
  while (v >= 0x80) buf[n++] = static_cast<char>((v & 0x7F) | 0x80), v >>= 7;
  buf[n++] = static_cast<char>(v);
  out.append(buf, n);
}

// A string field: left out when empty (proto3), else tag, length, bytes. Field numbers here are
// below 16, so every tag is one byte.
size_t StringSize(std::string_view s) {
  return s.empty() ? 0 : 1 + VarintSize(s.size()) + s.size();
}

void PutString(uint32_t field, std::string_view s, std::string& out) {
  if (s.empty()) return;
  out.push_back(static_cast<char>(field << 3 | kLengthDelimited));
  PutVarint(s.size(), out);
  out.append(s);
}

// An int64 or enum field: left out when 0; a negative value is its 64-bit two's complement
// (10 bytes), as protobuf writes both.
size_t IntSize(int64_t v) { return v == 0 ? 0 : 1 + VarintSize(static_cast<uint64_t>(v)); }

void PutInt(uint32_t field, int64_t v, std::string& out) {
  if (v == 0) return;
  out.push_back(static_cast<char>(field << 3 | kVarint));
  PutVarint(static_cast<uint64_t>(v), out);
}

}  // namespace

size_t ReceiptWireSize(const ReceiptFields& r) {
  return StringSize(r.vote_id) + StringSize(r.election_id) + StringSize(r.voter_id) +
         StringSize(r.option_id) + IntSize(static_cast<int64_t>(r.outcome)) + StringSize(r.reason) +
         IntSize(r.ingest_time_ms) + StringSize(r.counted_vote_id);
}

void AppendReceipt(const ReceiptFields& r, std::string& out) {
  // No reserve here: callers append a batch of receipts to one string, and reserving each one's
  // size grows the string to exactly that (libc++), a copy per receipt. A caller encoding one
  // reserves ReceiptWireSize itself (EncodeReceipt); appends grow a batch's string geometrically.
  PutString(kVoteId, r.vote_id, out);
  PutString(kElectionId, r.election_id, out);
  PutString(kVoterId, r.voter_id, out);
  PutString(kOptionId, r.option_id, out);
  PutInt(kOutcome, static_cast<int64_t>(r.outcome), out);
  PutString(kReason, r.reason, out);
  PutInt(kIngestTimeMs, r.ingest_time_ms, out);
  // Field 10: tag (10 << 3 | 2) = 82, still one byte.
  PutString(kCountedVoteId, r.counted_vote_id, out);
}

}  // namespace urna::codec
