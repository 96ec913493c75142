// Fuzzes the decoders of vote-log entries and ledger rows (src/adapters/codec) on arbitrary
// bytes, differentially against libprotobuf: DecodeLogRecord (the processor's, with its hand-
// written fast path) must agree with a direct urna::v1::LogRecord parse on votes and seals;
// DecodeLogRecordView (the recount's replay) and its fast path with DecodeLogRecord; the receipt
// view (DecodeCountedVoteView, the recount's ledger pass) and its fast path with DecodeReceipt
// (libprotobuf). A decoded entry must encode back to bytes that decode to the same entry, and
// the processor's rule (DecideVote) must take any decoded vote.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "adapters/codec/log_record_view.h"
#include "adapters/codec/proto_codec.h"
#include "adapters/codec/receipt_view.h"
#include "core/vote.h"
#include "urna/v1/vote.pb.h"

namespace {

bool Same(const urna::VoteEvent& a, const urna::VoteEvent& b) {
  return a.vote_id == b.vote_id && a.election_id == b.election_id && a.option_id == b.option_id &&
         a.voter_id == b.voter_id && a.ingest_time_ms == b.ingest_time_ms &&
         a.ingest_node == b.ingest_node;
}

const urna::Election& OpenElection() {
  static const urna::Election* e = [] {
    auto* e = new urna::Election();
    e->id = "e1";
    e->title = "Fuzz";
    e->options = {{"a", "A"}, {"b", "B"}};
    e->status = urna::ElectionStatus::kOpen;
    e->opened_at_ms = 1'700'000'000'000;
    return e;
  }();
  return *e;
}

// The view `v` shows `rec` (as DecodeLogRecord decoded it).
bool SameView(const urna::LogEntryView& v, const urna::codec::LogRecordValue& rec) {
  if (v.seal != rec.seal.has_value()) return false;
  if (rec.seal) return v.election_id == rec.seal->election_id;
  const auto& e = *rec.vote;
  return v.vote_id == e.vote_id && v.election_id == e.election_id && v.option_id == e.option_id &&
         v.voter_id == e.voter_id && v.ingest_time_ms == e.ingest_time_ms;
}

// The log record's views (fast path and any path) agree with DecodeLogRecord.
void CheckLogView(std::string_view bytes, const urna::Result<urna::codec::LogRecordValue>& rec) {
  urna::LogEntryView fast;
  if (urna::codec::DecodeLogRecordViewFast(bytes, &fast) &&
      (!rec.ok() || !SameView(fast, rec.value()))) {
    abort();
  }
  urna::codec::LogRecordValue spill;
  urna::LogEntryView any;
  any.offset = 7;
  const urna::Status s = urna::codec::DecodeLogRecordView(bytes, &spill, &any);
  if (s.ok() != rec.ok() || any.offset != 7) abort();
  if (s.ok() && !SameView(any, rec.value())) abort();
}

// The receipt view (fast path and any path) agrees with DecodeReceipt (libprotobuf).
void CheckReceiptView(std::string_view bytes) {
  auto want = urna::codec::DecodeReceipt(bytes);
  auto same = [&](const urna::CountedVoteView& v) {
    return want.ok() && v.vote_id == want->vote_id && v.voter_id == want->voter_id &&
           v.option_id == want->option_id && v.ingest_time_ms == want->ingest_time_ms;
  };
  urna::CountedVoteView fast;
  if (urna::codec::DecodeReceiptViewFast(bytes, &fast) && !same(fast)) abort();
  urna::Receipt spill;
  auto any = urna::codec::DecodeCountedVoteView(bytes, &spill);
  if (any.ok() != want.ok() || (any.ok() && !same(*any))) abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto rec = urna::codec::DecodeLogRecord(bytes);
  auto vote = urna::codec::DecodeVoteRecord(bytes);
  CheckLogView(bytes, rec);
  CheckReceiptView(bytes);
  // libprotobuf's own reading: DecodeLogRecord takes exactly what it takes, seals included.
  urna::v1::LogRecord direct;
  const bool parsed = direct.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
  if (rec.ok() != (parsed && (direct.has_vote() || direct.has_seal()))) abort();
  if (!rec.ok()) {
    if (vote.ok()) abort();
    return 0;
  }
  if (rec->seal && (!direct.has_seal() || rec->seal->election_id != direct.seal().election_id() ||
                    rec->seal->closed_at_ms != direct.seal().closed_at_ms())) {
    abort();
  }
  if (rec->vote.has_value() == rec->seal.has_value()) abort();  // exactly one kind
  if (rec->vote) {
    if (!vote.ok() || !Same(*vote, *rec->vote)) abort();
    auto again = urna::codec::DecodeLogRecord(urna::codec::EncodeVoteRecord(*rec->vote));
    if (!again.ok() || !again->vote || !Same(*again->vote, *rec->vote)) abort();
    urna::DecideVote(&OpenElection(), *rec->vote, false, false);
    urna::DecideVote(&OpenElection(), *rec->vote, true, true);
    urna::DecideVote(nullptr, *rec->vote, false, false);
  } else {
    if (vote.ok()) abort();
    auto again = urna::codec::DecodeLogRecord(urna::codec::EncodeSealRecord(*rec->seal));
    if (!again.ok() || !again->seal || again->seal->election_id != rec->seal->election_id ||
        again->seal->closed_at_ms != rec->seal->closed_at_ms) {
      abort();
    }
  }
  return 0;
}
