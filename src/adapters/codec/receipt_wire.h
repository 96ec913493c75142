// The protobuf wire form of a urna.v1.Receipt (proto/urna/v1/vote.proto), written without a
// protobuf message: the processor writes one per processed vote (a ledger row or a receipts
// row), and a message object per vote (its strings set, serialized, destroyed) was a sixth of
// the processor's CPU. The bytes are exactly what urna.v1.Receipt::SerializeAsString gives for
// the same fields (proto3: fields in number order, defaults left out; receipt_wire_test checks
// it against the protobuf encoder), so ledger rows read back with any protobuf decoder. Written
// by hand because libprotobuf has no API to serialize fields without a message object.
// Pure functions; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/vote.h"

namespace urna::codec {

// A receipt's fields as views (Receipt holds copies; the processor has the strings already).
struct ReceiptFields {
  std::string_view vote_id;
  std::string_view election_id;
  std::string_view voter_id;
  std::string_view option_id;
  Outcome outcome = Outcome::kPending;
  std::string_view reason;
  int64_t ingest_time_ms = 0;
  std::string_view counted_vote_id;
};

// The encoded size of `r`, in bytes.
size_t ReceiptWireSize(const ReceiptFields& r);

// Appends the encoded receipt to `out` (what urna.v1.Receipt would serialize to). It does not
// reserve: a caller appending a batch lets `out` grow (or reserves once for all).
void AppendReceipt(const ReceiptFields& r, std::string& out);

}  // namespace urna::codec
