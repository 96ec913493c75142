// Decoding of a stored receipt (urna.v1.Receipt, a ledger row) into views of its bytes: what the
// recount's ledger pass reads of each row (vote id, voter id, option id, cast time), without a
// protobuf message or a string per field. The fast path reads the protobuf wire format by hand
// and takes only the plain form our encoder writes (every string ASCII, every varint shorter than
// 10 bytes, every length at most 5 bytes, no groups, each known field with its own wire type,
// unknown fields of the other wire types skipped); anything else goes to the protobuf decoder
// (DecodeReceipt), which decides whether the row is valid, so both give the same answer for every
// input (the test compares them over many rows, edge cases, random and corrupted rows).
// Hand-written on wire_reader.h, which says why.
// Pure functions; any thread.
#pragma once

#include <string_view>

#include "core/status.h"
#include "ports/ledger.h"

namespace urna::codec {

// The fast path: true with `out` filled (views into `bytes`) when `bytes` is a valid receipt in
// the plain form; false when it is not on the fast path (corrupt or not: ask DecodeReceipt).
bool DecodeReceiptViewFast(std::string_view bytes, CountedVoteView* out);

// Any stored receipt: the fast path, else DecodeReceipt into `*spill`, which the views then point
// into (keep it until done with them). Errors as DecodeReceipt's.
Result<CountedVoteView> DecodeCountedVoteView(std::string_view bytes, Receipt* spill);

}  // namespace urna::codec
