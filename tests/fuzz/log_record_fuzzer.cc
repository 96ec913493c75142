// Fuzzes the decoder of vote-log entries (src/adapters/codec/proto_codec.cc): DecodeLogRecord
// and DecodeVoteRecord on arbitrary bytes, as the processor and the recount read a partition.
// A decoded entry must encode back to bytes that decode to the same entry, the two decoders
// must agree on votes, and the processor's rule (DecideVote) must take any decoded vote.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "adapters/codec/proto_codec.h"
#include "core/vote.h"

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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto rec = urna::codec::DecodeLogRecord(bytes);
  auto vote = urna::codec::DecodeVoteRecord(bytes);
  if (!rec.ok()) {
    if (vote.ok()) abort();
    return 0;
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
