#include "adapters/codec/proto_codec.h"

#include "adapters/codec/log_record_wire.h"
#include "adapters/codec/receipt_wire.h"

#include "urna/v1/election.pb.h"
#include "urna/v1/vote.pb.h"

namespace urna::codec {
namespace {

// policy: how votes_per_voter "unlimited" is stored (0 in the proto means "not set": one vote).
constexpr uint32_t kStoredUnlimitedVotes = 0xFFFFFFFFu;

}  // namespace

std::string EncodeVoteRecord(const VoteEvent& vote) {
  // Reused per thread: Clear() keeps the field strings' capacity, so encoding a vote on the
  // hot path does not allocate a message each time.
  thread_local urna::v1::LogRecord rec;
  rec.Clear();
  auto* v = rec.mutable_vote();
  v->set_vote_id(vote.vote_id);
  v->set_election_id(vote.election_id);
  v->set_option_id(vote.option_id);
  v->set_voter_id(vote.voter_id);
  v->set_ingest_time_ms(vote.ingest_time_ms);
  v->set_ingest_node(vote.ingest_node);
  return rec.SerializeAsString();
}

Result<VoteEvent> DecodeVoteRecord(std::string_view bytes) {
  thread_local urna::v1::LogRecord rec;  // reused per thread, as above
  if (!rec.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) || !rec.has_vote()) {
    return Status(Code::kInternal, "corrupt log record");
  }
  const auto& v = rec.vote();
  return VoteEvent{v.vote_id(),  v.election_id(),    v.option_id(),
                   v.voter_id(), v.ingest_time_ms(), v.ingest_node()};
}

std::string EncodeSealRecord(const SealMarker& seal) {
  urna::v1::LogRecord rec;
  rec.mutable_seal()->set_election_id(seal.election_id);
  rec.mutable_seal()->set_closed_at_ms(seal.closed_at_ms);
  return rec.SerializeAsString();
}

Result<LogRecordValue> DecodeLogRecord(std::string_view bytes) {
  // The records urna writes, without a message (log_record_wire.h); anything else as below.
  if (LogRecordValue fast; DecodeUsualLogRecord(bytes, fast)) return fast;
  thread_local urna::v1::LogRecord rec;
  if (!rec.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Status(Code::kInternal, "corrupt log record");
  }
  LogRecordValue out;
  if (rec.has_vote()) {
    const auto& v = rec.vote();
    out.vote = VoteEvent{v.vote_id(),  v.election_id(),    v.option_id(),
                         v.voter_id(), v.ingest_time_ms(), v.ingest_node()};
  } else if (rec.has_seal()) {
    out.seal = SealMarker{rec.seal().election_id(), rec.seal().closed_at_ms()};
  } else {
    return Status(Code::kInternal, "log record of unknown kind");
  }
  return out;
}

std::string EncodeReceipt(const Receipt& r) {
  // By hand (receipt_wire.h): the same bytes as urna.v1.Receipt, without a message per call.
  const ReceiptFields fields{r.vote_id, r.election_id, r.voter_id,       r.option_id,
                             r.outcome, r.reason,      r.ingest_time_ms, r.counted_vote_id};
  std::string out;
  out.reserve(ReceiptWireSize(fields));
  AppendReceipt(fields, out);
  return out;
}

Result<Receipt> DecodeReceipt(std::string_view bytes) {
  urna::v1::Receipt p;
  if (!p.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Status(Code::kInternal, "corrupt receipt");
  }
  // proto3 enums are open: an unknown number parses, but must not become an Outcome.
  if (!urna::v1::Receipt::Outcome_IsValid(p.outcome())) {
    return Status(Code::kInternal,
                  "corrupt receipt: unknown outcome " + std::to_string(p.outcome()));
  }
  Receipt r{p.vote_id(),
            p.election_id(),
            p.voter_id(),
            p.option_id(),
            static_cast<Outcome>(p.outcome()),
            p.reason(),
            p.ingest_time_ms(),
            p.counted_vote_id()};
  // Receipts written before counted_vote_id existed carry a duplicate's counted vote in reason.
  if (r.outcome == Outcome::kDuplicate && r.counted_vote_id.empty()) {
    r.counted_vote_id = std::move(r.reason);
    r.reason.clear();
  }
  return r;
}

std::string EncodeElection(const Election& e) {
  urna::v1::Election p;
  p.set_id(e.id);
  p.set_title(e.title);
  for (const auto& o : e.options) {
    auto* po = p.add_options();
    po->set_id(o.id);
    po->set_label(o.label);
  }
  p.set_status(std::string(ToString(e.status)));
  p.set_created_at_ms(e.created_at_ms);
  p.set_opened_at_ms(e.opened_at_ms);
  p.set_closed_at_ms(e.closed_at_ms);
  p.set_finalized_at_ms(e.finalized_at_ms);
  p.set_results_visibility(std::string(ToString(e.results_visibility)));
  p.set_bot_protection(std::string(ToString(e.bot_protection)));
  p.set_pow_max_number(e.pow_max_number);
  p.set_turnout_visibility(std::string(ToString(e.turnout_visibility)));
  p.set_gateway_voters(std::string(ToString(e.gateway_voters)));
  // policy: 0 stays "not set" (one vote), so unlimited is stored as the largest value.
  p.set_votes_per_voter(e.votes_per_voter == kUnlimitedVotes ? kStoredUnlimitedVotes
                                                             : e.votes_per_voter);
  // schedule
  p.set_opens_at_ms(e.opens_at_ms);
  p.set_closes_at_ms(e.closes_at_ms);
  p.set_archived_at_ms(e.archived_at_ms);  // admin
  return p.SerializeAsString();
}

Result<Election> DecodeElection(std::string_view bytes) {
  urna::v1::Election p;
  if (!p.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Status(Code::kInternal, "corrupt catalog entry");
  }
  auto status = ParseElectionStatus(p.status());
  if (!status) return Status(Code::kInternal, "catalog entry has unknown status " + p.status());
  Election e;
  e.id = p.id();
  e.title = p.title();
  for (const auto& o : p.options()) e.options.push_back({o.id(), o.label()});
  e.status = *status;
  e.created_at_ms = p.created_at_ms();
  e.opened_at_ms = p.opened_at_ms();
  e.closed_at_ms = p.closed_at_ms();
  e.finalized_at_ms = p.finalized_at_ms();
  auto vis = ParseResultsVisibility(p.results_visibility());
  e.results_visibility = vis ? *vis : ResultsVisibility::kLive;
  if (!p.bot_protection().empty()) {
    auto bot = ParseBotProtection(p.bot_protection());
    if (!bot) return Status(Code::kInternal, "catalog entry has unknown bot_protection");
    e.bot_protection = *bot;
  }
  e.pow_max_number = p.pow_max_number();
  auto turnout = ParseTurnoutVisibility(p.turnout_visibility());
  e.turnout_visibility = turnout ? *turnout
                         : e.results_visibility == ResultsVisibility::kHiddenUntilClosed
                             ? TurnoutVisibility::kHidden
                             : TurnoutVisibility::kPublic;
  if (!p.gateway_voters().empty()) {
    auto gw = ParseGatewayVoters(p.gateway_voters());
    if (!gw) return Status(Code::kInternal, "catalog entry has unknown gateway_voters");
    e.gateway_voters = *gw;
  }
  // policy
  e.votes_per_voter = p.votes_per_voter() == 0                       ? 1
                      : p.votes_per_voter() == kStoredUnlimitedVotes ? kUnlimitedVotes
                                                                     : p.votes_per_voter();
  // schedule
  e.opens_at_ms = p.opens_at_ms();
  e.closes_at_ms = p.closes_at_ms();
  e.archived_at_ms = p.archived_at_ms();  // admin
  return e;
}

}  // namespace urna::codec
