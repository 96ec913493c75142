#include "processor/partition_processor.h"

#include <spdlog/spdlog.h>

#include <map>
#include <memory>
#include <unordered_map>

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
  if (auto s = read_model_.Apply(tally_); !s.ok()) {
    spdlog::warn("partition {}: read model unavailable: {}", partition_, s.message());
  }
  loaded_ = true;
  return Status::Ok();
}

Result<size_t> PartitionProcessor::Step(std::chrono::milliseconds wait) {
  if (!loaded_) {
    if (auto s = Load(); !s.ok()) return s;
  }
  auto entries = log_.Read(partition_, tally_.next_offset, max_batch_, wait);
  if (!entries.ok()) return entries.status();
  if (entries->empty()) return size_t{0};

  // Voter index lookups for the whole batch at once.
  std::vector<VoterKey> keys;
  keys.reserve(entries->size());
  // (a seal entry has an empty vote: its key is never found)
  for (const auto& e : *entries) keys.push_back({e.vote.election_id, e.vote.voter_id});
  auto counted = state_.FindCounted(keys);
  if (!counted.ok()) return counted.status();
  const size_t n = entries->size();

  PartitionCommit commit;
  commit.partition = partition_;
  commit.next_offset = entries->back().offset + 1;
  commit.votes.reserve(entries->size());
  std::map<std::string, std::string, std::less<>> counted_in_batch;  // voter key -> vote_id
  std::unordered_map<std::string, std::shared_ptr<const Election>> elections;
  uint64_t n_counted = 0, n_dup = 0, n_rej = 0;

  for (size_t i = 0; i < entries->size(); ++i) {
    auto& entry = (*entries)[i];
    if (entry.seal) {
      if (sealed_.emplace(entry.seal->election_id, entry.seal->closed_at_ms).second) {
        commit.seals.push_back(*entry.seal);
      }
      continue;
    }
    const VoteEvent& v = entry.vote;
    std::string key = v.election_id + '\0' + v.voter_id;
    const std::string* prior = (*counted)[i] ? &*(*counted)[i] : nullptr;
    if (auto it = counted_in_batch.find(key); it != counted_in_batch.end()) prior = &it->second;

    auto el = elections.find(v.election_id);
    if (el == elections.end()) {
      auto got = catalog_.Get(v.election_id);
      el = elections.emplace(v.election_id, got.ok() ? *got : nullptr).first;
    }
    // By log order only (the recount's replay decides the same way): behind the seal is closed,
    // ahead of it counts, whatever the vote's ingest time says against the catalog's closed_at.
    Verdict verdict =
        DecideVote(el->second.get(), v, prior != nullptr, sealed_.contains(v.election_id));
    ProcessedVote pv{std::move(entry), verdict.outcome, std::string(verdict.reason)};
    switch (verdict.outcome) {
      case Outcome::kCounted:
        ++tally_.elections[pv.entry.vote.election_id][pv.entry.vote.option_id];
        commit.tally.elections[pv.entry.vote.election_id];  // mark touched
        counted_in_batch.emplace(std::move(key), pv.entry.vote.vote_id);
        ++n_counted;
        break;
      case Outcome::kDuplicate:
        pv.reason = *prior;  // the vote that counts for this voter
        ++n_dup;
        break;
      default:
        ++n_rej;
        break;
    }
    commit.votes.push_back(std::move(pv));
  }
  for (auto& [election, counts] : commit.tally.elections) counts = tally_.elections[election];
  commit.tally.partition = partition_;
  commit.tally.next_offset = commit.next_offset;

  if (auto s = state_.Commit(commit); !s.ok()) {
    loaded_ = false;  // tally_ holds uncommitted counts: reload the committed state first
    return s;
  }

  tally_.next_offset = commit.next_offset;
  stats_.counted += n_counted;
  stats_.duplicate += n_dup;
  stats_.rejected += n_rej;
  stats_.batches += 1;
  stats_.next_offset = commit.next_offset;
  if (!commit.tally.elections.empty()) {
    if (auto s = read_model_.Apply(commit.tally); !s.ok()) {
      // G6: the read side may lag or fail; counting goes on. The next change republishes.
      spdlog::warn("partition {}: read model unavailable: {}", partition_, s.message());
    }
  }
  return n;
}

}  // namespace urna
