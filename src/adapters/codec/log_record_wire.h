// The one hand-written reader of a urna.v1.LogRecord (proto/urna/v1/vote.proto): both the
// processor's DecodeLogRecord (which copies the fields into a LogRecordValue) and the recount's
// DecodeLogRecordView (log_record_view.h, which keeps them as views) go through
// ParsePlainLogRecord. It takes only the plain form urna writes (exactly one vote or seal, ASCII
// strings, varints under 10 bytes, lengths of at most 5 bytes, no groups; unknown fields of the
// other wire types skipped, the last of a repeated string or integer field winning, as in
// protobuf) and says "not mine" for anything else, so the caller parses those with libprotobuf,
// whose answer stands: the fast path never decides differently (log_record_wire_test and
// log_record_view_test check it against libprotobuf on valid, unusual, random and damaged
// records; tests/fuzz/log_record_fuzzer.cc too). Why by hand: see wire_reader.h.
// Pure functions; any thread.
#pragma once

#include <cstdint>
#include <string_view>

#include "adapters/codec/proto_codec.h"

namespace urna::codec {

// A log record's fields as views of its bytes.
struct LogRecordFields {
  bool seal = false;
  std::string_view vote_id, election_id, option_id, voter_id, ingest_node;
  int64_t ingest_time_ms = 0;  // a vote's
  int64_t closed_at_ms = 0;    // a seal's
};

// True with `out` filled when `bytes` is a valid record in the plain form; false otherwise
// (corrupt or not: ask libprotobuf). `out` is then unspecified.
bool ParsePlainLogRecord(std::string_view bytes, LogRecordFields* out);

// ParsePlainLogRecord, copied into `out` (assumed empty). False as above (`out` may then hold
// part of the record: the caller discards it).
bool DecodeUsualLogRecord(std::string_view bytes, LogRecordValue& out);

}  // namespace urna::codec
