// A fast path for reading a urna.v1.LogRecord (proto/urna/v1/vote.proto) without a protobuf
// message: the processor decodes every log entry it counts, and libprotobuf's parse into a
// message, then a copy of each field out of it, was a tenth of the processor's CPU. It reads
// only records in the shape urna writes (each field at most once, no unknown field, ASCII
// strings, non-negative varints of at most 9 bytes) and says "not mine" for anything else, so
// the caller (DecodeLogRecord) parses those with libprotobuf, whose answer stands: the fast path
// never decides differently (log_record_wire_test checks it against libprotobuf on valid,
// unusual and damaged records). Written by hand because libprotobuf has no parse that fills
// caller-owned fields. Pure functions; any thread.
#pragma once

#include <string_view>

#include "adapters/codec/proto_codec.h"

namespace urna::codec {

// Fills `out` (assumed empty) from `bytes` and returns true when they are a record of the usual
// shape; false otherwise (`out` may then hold part of it: the caller discards it).
bool DecodeUsualLogRecord(std::string_view bytes, LogRecordValue& out);

}  // namespace urna::codec
