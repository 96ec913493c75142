// The field numbers of urna.v1.Receipt (proto/urna/v1/vote.proto), in one place for the two
// hand-written codecs of a receipt: the encoder (receipt_wire.cc) and the view decoder
// (receipt_view.cc). Private to those two files; receipt_wire_test and receipt_view_test check
// both against libprotobuf, so a number out of step with the .proto fails there.
#pragma once

#include <cstdint>

namespace urna::codec {

enum ReceiptFieldNumber : uint32_t {
  kVoteId = 1,
  kElectionId = 2,
  kVoterId = 3,
  kOptionId = 4,
  kOutcome = 5,
  kReason = 6,
  kIngestTimeMs = 7,
  kPartition = 8,
  kOffset = 9,
  kCountedVoteId = 10,
};

}  // namespace urna::codec
