#include "processor/partition_processor.h"

#include <spdlog/spdlog.h>

#include <memory>
#include <optional>
#include <unordered_map>

#include "core/dedupe.h"

namespace urna {

PartitionProcessor::PartitionProcessor(uint32_t partition, LogReader& log, ProcessorState& state,
                                       Catalog& catalog, ReadModel& read_model, size_t max_batch)
    : partition_(partition),
      log_(log),
      state_(state),
      catalog_(catalog),
      read_model_(read_model),
      max_batch_(max_batch) {}

Status PartitionProcessor::Load() {
  auto st = state_.Load(partition_);
  if (!st.ok()) return st.status();
  tally_ = std::move(st->tally);
  sealed_ = std::move(st->sealed);
  stats_.next_offset = tally_.next_offset;
  Publish(tally_);
  loaded_ = true;
  return Status::Ok();
}

Result<size_t> PartitionProcessor::Step(std::chrono::milliseconds wait) {
  if (!loaded_) {
    if (auto s = Load(); !s.ok()) return s;
  }
  auto entries = log_.Read(partition_, tally_.next_offset, max_batch_, wait);
  if (!entries.ok()) return entries.status();
  const size_t n = entries->size();
  if (n == 0) return size_t{0};

  auto commit = Decide(std::move(*entries));
  if (!commit.ok()) {
    loaded_ = false;  // Decide may have counted part of the batch into tally_
    return commit.status();
  }
  if (auto s = Commit(*commit); !s.ok()) return s;
  if (!commit->tally.elections.empty()) Publish(commit->tally);
  return n;
}

Result<PartitionCommit> PartitionProcessor::Decide(std::vector<LogEntry> entries) {
  // The voter index for the whole batch at once (a seal entry has an empty vote: never found).
  std::vector<VoterKey> keys;
  keys.reserve(entries.size());
  for (const auto& e : entries) keys.push_back({e.vote.election_id, e.vote.voter_id});
  auto counted = state_.CountedVoteIds(partition_, tally_.next_offset, keys);
  if (!counted.ok()) return counted.status();

  PartitionCommit commit;
  commit.partition = partition_;
  commit.from_offset = tally_.next_offset;
  commit.next_offset = entries.back().offset + 1;
  commit.votes.reserve(entries.size());
  VoteDedupe dedupe;
  std::unordered_map<std::string, std::shared_ptr<const Election>> elections;
  for (size_t i = 0; i < entries.size(); ++i) {
    auto& entry = entries[i];
    if (entry.seal) {
      if (sealed_.emplace(entry.seal->election_id, entry.seal->closed_at_ms).second) {
        commit.seals.push_back(*entry.seal);
      }
      continue;
    }
    const VoteEvent& v = entry.vote;
    auto el = elections.find(v.election_id);
    if (el == elections.end()) {
      auto got = catalog_.Get(v.election_id);
      if (!got.ok() || !(*got)->WasOpened()) {
        // A cache behind another process's create or open must not reject the vote: the
        // decision is final once committed, and a replay must decide alike. Read it fresh; an
        // error other than "no such election" retries the batch later.
        got = catalog_.GetFresh(v.election_id);
        if (!got.ok() && got.status().code() != Code::kNotFound) return got.status();
      }
      el = elections.emplace(v.election_id, got.ok() ? *got : nullptr).first;
    }
    std::optional<PriorVotes> prior;
    if ((*counted)[i]) prior = PriorVotes{1, std::move(*(*counted)[i])};
    // By log order only (the recount's replay decides the same way): behind the seal is closed,
    // ahead of it counts, whatever the vote's ingest time says against the catalog's closed_at.
    const Election* election = el->second.get();
    DedupeVerdict d = dedupe.Decide(election, v, prior ? &*prior : nullptr,
                                    sealed_.contains(v.election_id), VotePolicyOf(election));
    if (d.verdict.outcome == Outcome::kCounted) {
      ++tally_.elections[v.election_id][v.option_id];
      commit.tally.elections[v.election_id];  // mark touched
    }
    commit.votes.push_back({std::move(entry), d.verdict.outcome, std::string(d.verdict.reason),
                            std::string(d.counted_vote_id)});
  }
  for (auto& [election, counts] : commit.tally.elections) counts = tally_.elections[election];
  commit.tally.partition = partition_;
  commit.tally.next_offset = commit.next_offset;
  return commit;
}

Status PartitionProcessor::Commit(const PartitionCommit& commit) {
  if (auto s = state_.Commit(commit); !s.ok()) {
    loaded_ = false;  // tally_ holds uncommitted counts: reload the committed state first
    return s;
  }
  tally_.next_offset = commit.next_offset;
  uint64_t n_counted = 0, n_dup = 0, n_rej = 0;
  for (const auto& pv : commit.votes) {
    n_counted += pv.outcome == Outcome::kCounted;
    n_dup += pv.outcome == Outcome::kDuplicate;
    n_rej += pv.outcome == Outcome::kRejected;
  }
  stats_.counted += n_counted;
  stats_.duplicate += n_dup;
  stats_.rejected += n_rej;
  stats_.batches += 1;
  stats_.next_offset = commit.next_offset;
  return Status::Ok();
}

void PartitionProcessor::Publish(const PartitionTally& tally) {
  if (auto s = read_model_.Apply(tally); !s.ok()) {
    // G6: the read side may lag or fail; counting goes on. The next change republishes.
    spdlog::warn("partition {}: read model unavailable: {}", partition_, s.message());
  }
}

}  // namespace urna
