#include "adapters/codec/log_record_view.h"

#include "adapters/codec/log_record_wire.h"

namespace urna::codec {

bool DecodeLogRecordViewFast(std::string_view bytes, LogEntryView* out) {
  // The one parser of the plain form (log_record_wire.h), its views kept.
  LogRecordFields f;
  if (!ParsePlainLogRecord(bytes, &f)) return false;
  out->seal = f.seal;
  out->vote_id = f.vote_id;
  out->election_id = f.election_id;
  out->option_id = f.option_id;
  out->voter_id = f.voter_id;
  out->ingest_time_ms = f.ingest_time_ms;
  return true;
}

Status DecodeLogRecordView(std::string_view bytes, LogRecordValue* spill, LogEntryView* out) {
  if (DecodeLogRecordViewFast(bytes, out)) return Status::Ok();
  auto r = DecodeLogRecord(bytes);
  if (!r.ok()) return r.status();
  *spill = std::move(*r);
  LogEntryView v;
  v.offset = out->offset;
  if (spill->seal) {
    v.seal = true;
    v.election_id = spill->seal->election_id;
  } else {
    const VoteEvent& e = *spill->vote;
    v.vote_id = e.vote_id;
    v.election_id = e.election_id;
    v.option_id = e.option_id;
    v.voter_id = e.voter_id;
    v.ingest_time_ms = e.ingest_time_ms;
  }
  *out = v;
  return Status::Ok();
}

}  // namespace urna::codec
