// IngestService::CastBatch: a trusted gateway's batch of votes (docs/api.md "Trusted gateway
// batches"), admitted under one ticket and appended as one durable group.
#include <unordered_map>

#include "core/uuid7.h"
#include "ingest/ingest_service.h"

namespace urna {

std::string IngestService::RefKey(std::string_view gateway_id, std::string_view election_id,
                                  std::string_view ref) {
  std::string key;
  key.reserve(gateway_id.size() + election_id.size() + ref.size() + 2);
  key.append(gateway_id).append(1, '\0').append(election_id).append(1, '\0').append(ref);
  return key;
}

void IngestService::CastBatch(std::string_view election_id, std::string_view gateway_id,
                              std::vector<BatchVote> votes, BatchDone done) {
  // Refs stored by earlier batches (distributed; the embedded log checks them itself), read
  // before the ticket so a close never waits for this read.
  std::vector<std::string> stored;
  if (refs_ != nullptr) {
    std::vector<std::string> keys;
    keys.reserve(votes.size());
    for (const auto& v : votes) keys.push_back(RefKey(gateway_id, election_id, v.ref));
    auto found = refs_->Find(keys);
    if (!found.ok()) return done(found.status());
    stored = std::move(*found);
  }
  auto admitted = admission_.Enter(election_id);  // held until the whole group is queued
  if (!admitted.ok()) return done(admitted.status());
  auto election = catalog_.Get(election_id);
  if (!election.ok()) return done(election.status());
  if (!(*election)->AcceptsVotes()) return done(CheckVoteAdmissible(**election, ""));
  const int64_t now = clock_.NowMs();

  // Per vote: an error of its own, or its place in the group (the first vote of its ref).
  std::vector<Result<std::string>> early(votes.size(), std::string());
  std::vector<size_t> slot(votes.size(), SIZE_MAX);
  std::vector<KeyedVote> group;
  group.reserve(votes.size());
  std::unordered_map<std::string_view, size_t> by_ref;  // ref -> slot in group
  for (size_t i = 0; i < votes.size(); ++i) {
    BatchVote& v = votes[i];
    if (auto s = CheckVoteAdmissible(**election, v.option_id); !s.ok()) {
      early[i] = s;
      continue;
    }
    if (!stored.empty() && !stored[i].empty()) {
      early[i] = std::move(stored[i]);  // appended by an earlier batch: that vote
      continue;
    }
    auto [it, fresh] = by_ref.try_emplace(v.ref, group.size());
    slot[i] = it->second;
    if (!fresh) continue;  // the same ref earlier in this batch: the same vote
    group.push_back({VoteEvent{NewUuid7(now), std::string(election_id), std::move(v.option_id),
                               std::move(v.voter_id), now, node_id_},
                     RefKey(gateway_id, election_id, v.ref)});
  }
  if (group.empty()) return done(std::move(early));
  log_.AppendGroup(std::move(group),
                   [early = std::move(early), slot = std::move(slot),
                    done = std::move(done)](std::vector<Result<std::string>> appended) mutable {
                     for (size_t i = 0; i < early.size(); ++i) {
                       if (slot[i] != SIZE_MAX) early[i] = appended[slot[i]];
                     }
                     done(std::move(early));
                   });
  // `admitted` leaves here: every vote of the batch is queued on the log.
}

}  // namespace urna
