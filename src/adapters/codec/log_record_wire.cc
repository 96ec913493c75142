#include "adapters/codec/log_record_wire.h"

#include "adapters/codec/wire_reader.h"

namespace urna::codec {
namespace {

// urna.v1.VoteEvent / urna.v1.Seal field numbers (proto/urna/v1/vote.proto).
enum : uint32_t {
  kVoteId = 1,
  kElectionId = 2,
  kOptionId = 3,
  kVoterId = 4,
  kIngestTime = 5,
  kIngestNode = 6,
};
enum : uint32_t { kSealElectionId = 1, kSealClosedAt = 2 };

bool Vote(std::string_view bytes, LogRecordFields* v) {
  WireReader in(bytes);
  while (!in.done()) {
    uint32_t field;
    WireType type;
    if (!in.Tag(&field, &type)) return false;
    std::string_view s;
    uint64_t n;
    switch (field) {
      case kVoteId:
      case kElectionId:
      case kOptionId:
      case kVoterId:
      case kIngestNode:
        // The last occurrence of a field wins, as in protobuf.
        if (type != WireType::kLen || !in.AsciiString(&s)) return false;
        if (field == kVoteId) v->vote_id = s;
        if (field == kElectionId) v->election_id = s;
        if (field == kOptionId) v->option_id = s;
        if (field == kVoterId) v->voter_id = s;
        if (field == kIngestNode) v->ingest_node = s;
        break;
      case kIngestTime:
        if (type != WireType::kVarint || !in.Varint(&n)) return false;
        v->ingest_time_ms = static_cast<int64_t>(n);
        break;
      default:
        if (!in.Skip(type)) return false;
    }
  }
  return true;
}

bool Seal(std::string_view bytes, LogRecordFields* v) {
  WireReader in(bytes);
  while (!in.done()) {
    uint32_t field;
    WireType type;
    if (!in.Tag(&field, &type)) return false;
    std::string_view s;
    uint64_t n;
    if (field == kSealElectionId) {
      if (type != WireType::kLen || !in.AsciiString(&s)) return false;
      v->election_id = s;
    } else if (field == kSealClosedAt) {
      if (type != WireType::kVarint || !in.Varint(&n)) return false;
      v->closed_at_ms = static_cast<int64_t>(n);
    } else if (!in.Skip(type)) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool ParsePlainLogRecord(std::string_view bytes, LogRecordFields* out) {
  // urna.v1.LogRecord: oneof kind { VoteEvent vote = 1; Seal seal = 2; }
  WireReader in(bytes);
  std::string_view body;
  uint32_t kind = 0;
  while (!in.done()) {
    uint32_t field;
    WireType type;
    if (!in.Tag(&field, &type)) return false;
    if (field == 1 || field == 2) {
      // A second one (protobuf merges or replaces) or another wire type: left to protobuf.
      if (kind != 0 || type != WireType::kLen || !in.Bytes(&body)) return false;
      kind = field;
    } else if (!in.Skip(type)) {
      return false;
    }
  }
  if (kind == 0) return false;  // neither: protobuf's error
  *out = LogRecordFields{};
  out->seal = kind == 2;
  return kind == 1 ? Vote(body, out) : Seal(body, out);
}

bool DecodeUsualLogRecord(std::string_view bytes, LogRecordValue& out) {
  LogRecordFields f;
  if (!ParsePlainLogRecord(bytes, &f)) return false;
  if (f.seal) {
    out.seal.emplace(SealMarker{std::string(f.election_id), f.closed_at_ms});
  } else {
    VoteEvent& v = out.vote.emplace();
    v.vote_id.assign(f.vote_id);
    v.election_id.assign(f.election_id);
    v.option_id.assign(f.option_id);
    v.voter_id.assign(f.voter_id);
    v.ingest_time_ms = f.ingest_time_ms;
    v.ingest_node.assign(f.ingest_node);
  }
  return true;
}

}  // namespace urna::codec
