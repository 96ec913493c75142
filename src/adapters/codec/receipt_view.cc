#include "adapters/codec/receipt_view.h"

#include <cstdint>
#include <cstring>

#include "adapters/codec/proto_codec.h"
#include "adapters/codec/receipt_fields.h"
#include "adapters/codec/wire_reader.h"

namespace urna::codec {

bool DecodeReceiptViewFast(std::string_view bytes, CountedVoteView* out) {
  WireReader in(bytes);
  CountedVoteView v;
  uint64_t outcome = 0;
  while (!in.done()) {
    uint32_t field;
    WireType type;
    if (!in.Tag(&field, &type)) return false;
    std::string_view s;
    uint64_t n;
    switch (field) {
      case kVoteId:
      case kElectionId:
      case kVoterId:
      case kOptionId:
      case kReason:
      case kCountedVoteId:
        // The last occurrence of a field wins, as in protobuf.
        if (type != WireType::kLen || !in.AsciiString(&s)) return false;
        if (field == kVoteId) v.vote_id = s;
        if (field == kVoterId) v.voter_id = s;
        if (field == kOptionId) v.option_id = s;
        break;
      case kOutcome:
      case kIngestTimeMs:
      case kPartition:
      case kOffset:
        if (type != WireType::kVarint || !in.Varint(&n)) return false;
        if (field == kOutcome) outcome = n;
        if (field == kIngestTimeMs) v.ingest_time_ms = static_cast<int64_t>(n);
        break;
      default:
        if (!in.Skip(type)) return false;
    }
  }
  // An enum is an int32 (the varint's low 32 bits); only the Outcome's numbers are valid.
  const uint32_t low = static_cast<uint32_t>(outcome);
  if (low > static_cast<uint32_t>(Outcome::kRejected)) return false;
  *out = v;
  return true;
}

Result<CountedVoteView> DecodeCountedVoteView(std::string_view bytes, Receipt* spill) {
  CountedVoteView v;
  if (DecodeReceiptViewFast(bytes, &v)) return v;
  auto r = DecodeReceipt(bytes);
  if (!r.ok()) return r.status();
  *spill = std::move(*r);
  return CountedVoteView{spill->vote_id, spill->voter_id, spill->option_id, spill->ingest_time_ms};
}

}  // namespace urna::codec
