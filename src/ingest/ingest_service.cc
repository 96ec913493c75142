#include "ingest/ingest_service.h"

#include "core/uuid7.h"

namespace urna {

void IngestService::CastVote(std::string_view election_id, std::string_view voter_id,
                             std::string_view option_id, CastDone done) {
  auto admitted = admission_.Enter(election_id);  // held until the append is queued
  if (!admitted.ok()) return done(admitted.status());
  auto election = catalog_.Get(election_id);
  if (!election.ok()) return done(election.status());
  if (auto s = CheckVoteAdmissible(**election, option_id); !s.ok()) return done(s);
  int64_t now = clock_.NowMs();  // cast_at: a MonotonicClock keeps it <= a later close's time

  VoteEvent vote{
      NewUuid7(now), std::string(election_id), std::string(option_id), std::string(voter_id), now,
      node_id_};
  std::string vote_id = vote.vote_id;
  log_.Append(std::move(vote), [done = std::move(done), vote_id = std::move(vote_id)](Status s) {
    if (s.ok()) {
      done(vote_id);
    } else {
      done(s);
    }
  });
}

Result<Receipt> IngestService::LookupReceipt(Ledger& ledger, std::string_view election_id,
                                             std::string_view vote_id, std::string_view voter_id) {
  if (!IsUuid7(vote_id)) return Status(Code::kInvalidArgument, "vote_id is not a UUIDv7");
  auto r = ledger.FindReceipt(election_id, voter_id, vote_id);
  if (!r.ok()) return r.status();
  if (!r->has_value() || (*r)->election_id != election_id || (*r)->voter_id != voter_id) {
    return Status(Code::kNotFound,
                  "no vote " + std::string(vote_id) + " of yours in this election");
  }
  return std::move(**r);
}

}  // namespace urna
