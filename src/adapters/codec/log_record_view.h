// Decoding of a log record (urna.v1.LogRecord: a vote or a seal) into views of its bytes, for the
// recount's replay (ports/log_scan.h): no protobuf message, no string per field. The fast path is
// the log record parser the processor's DecodeLogRecord also uses (log_record_wire.h: the plain
// form our encoder writes); anything else goes to DecodeLogRecord, whose libprotobuf parse then
// decides. log_record_view_test.cc checks both paths against libprotobuf's generated
// urna::v1::LogRecord on valid, unusual and damaged records. Pure functions; any thread.
#pragma once

#include <string_view>

#include "adapters/codec/proto_codec.h"
#include "core/status.h"
#include "ports/log_scan.h"

namespace urna::codec {

// The fast path: true with `out` filled (its offset untouched) when `bytes` is a valid record in
// the plain form; false otherwise (corrupt or not: ask DecodeLogRecord).
bool DecodeLogRecordViewFast(std::string_view bytes, LogEntryView* out);

// Any record: the fast path, else DecodeLogRecord into `*spill`, which the views then point into
// (keep it until done with them). Errors as DecodeLogRecord's. `out->offset` is untouched.
Status DecodeLogRecordView(std::string_view bytes, LogRecordValue* spill, LogEntryView* out);

}  // namespace urna::codec
