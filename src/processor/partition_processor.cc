#include "processor/partition_processor.h"

#include <spdlog/spdlog.h>

#include <memory>
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
      max_batch_(max_batch) {
  stats_.caught_up_ms = SteadyNowMs();
}

int64_t SteadyNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

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
  // Caught up: once what this read returns is committed and published, the processor has
  // counted every entry the log held when the read began (its end as known then, or, from a log
  // that knows none, a read that returned less than a full batch).
  const int64_t read_at = SteadyNowMs();
  const std::optional<uint64_t> end_before = log_.KnownEndOffset(partition_);
  auto entries = log_.Read(partition_, tally_.next_offset, max_batch_, wait);
  if (!entries.ok()) return entries.status();
  if (entries->empty()) {
    if (!end_before || tally_.next_offset >= *end_before) stats_.caught_up_ms = read_at;
    return size_t{0};
  }
  const size_t read = entries->size();

  auto commit = Decide(std::move(*entries));
  if (!commit.ok()) {
    loaded_ = false;  // Decide may have counted part of the batch into tally_
    return commit.status();
  }
  if (auto s = Commit(*commit); !s.ok()) return s;
  if (!commit->tally.elections.empty()) Publish(commit->tally);
  if (end_before ? tally_.next_offset >= *end_before : read < max_batch_ && decided_ == read) {
    stats_.caught_up_ms = read_at;
  }
  return decided_;
}

Result<PartitionCommit> PartitionProcessor::Decide(std::vector<LogEntry> entries) {
  // What the batch needs of each of its elections, looked up once per election rather than per
  // vote (a batch holds one or a few elections and thousands of votes). Nodes of an
  // unordered_map: stable while the batch is decided.
  struct ElectionInBatch {
    std::shared_ptr<const Election> election;  // null: unknown to the catalog
    VotePolicy policy;
    bool sealed = false;             // a seal of it is behind the vote being decided
    OptionCounts* counts = nullptr;  // tally_'s counts of it, made on its first counted vote
    const std::string* touched_key = nullptr;  // its key in commit.tally (stable), once counted
  };
  // Keyed by copies: the entries' strings move into the commit as they are decided.
  std::unordered_map<std::string, ElectionInBatch> elections;
  // The batch's elections first: their policies say which voters' lookups must count votes.
  for (const auto& e : entries) {
    if (e.seal || elections.contains(e.vote.election_id)) continue;
    auto got = catalog_.Get(e.vote.election_id);
    if (!got.ok() || !(*got)->WasOpened()) {
      // A cache behind another process's create or open must not reject the vote: the
      // decision is final once committed, and a replay must decide alike. Read it fresh; an
      // error other than "no such election" retries the batch later.
      got = catalog_.GetFresh(e.vote.election_id);
      if (!got.ok() && got.status().code() != Code::kNotFound) return got.status();
    }
    ElectionInBatch& in = elections[e.vote.election_id];
    if (got.ok()) in.election = *got;
    in.policy = VotePolicyOf(in.election.get());
    in.sealed = sealed_.contains(e.vote.election_id);
  }
  // The election of a vote: the previous vote's, almost always.
  ElectionInBatch* last = nullptr;
  std::string_view last_id;
  auto election_of = [&](const std::string& id) -> ElectionInBatch& {
    if (last == nullptr || id != last_id) {
      auto it = elections.find(id);
      last = &it->second;
      last_id = it->first;
    }
    return *last;
  };
  // The voter index for the whole batch at once (a seal entry has an empty vote: never found).
  std::vector<VoterKey> keys;
  keys.reserve(entries.size());
  for (const auto& e : entries) {
    const bool many = !e.seal && election_of(e.vote.election_id).policy.max_per_voter != 1;
    keys.push_back({e.vote.election_id, e.vote.voter_id, many});
  }
  auto counted = state_.CountedVotes(partition_, tally_.next_offset, keys);
  if (!counted.ok()) return counted.status();

  PartitionCommit commit;
  commit.partition = partition_;
  commit.from_offset = tally_.next_offset;
  commit.votes.reserve(entries.size());
  // A fresh dedupe per batch (the voter index answers for what earlier batches counted), in the
  // memory of the last batch's.
  dedupe_.Clear();
  dedupe_.Reserve(entries.size());
  // The commit's tally entries (ProcessorState::MaxTallyEntriesPerBatch): an election changed
  // by the batch is 1 + its options with counts. The batch ends before an entry that could pass
  // the limit (the rest is the next batch's); it always keeps its first entry.
  const size_t max_tally_entries = state_.MaxTallyEntriesPerBatch();
  const bool limited = max_tally_entries != SIZE_MAX;
  size_t tally_entries = 0;
  std::unordered_map<std::string_view, size_t> touched;  // election -> its entries so far
  auto cost_of = [&](std::string_view election) -> size_t {
    auto t = tally_.elections.find(election);
    return 1 + (t == tally_.elections.end() ? 0 : t->second.size());
  };
  auto touch = [&](std::string_view election) {
    const size_t now = cost_of(election);
    auto [it, fresh] = touched.try_emplace(election, now);
    tally_entries += fresh ? now : now - it->second;
    it->second = now;
  };
  size_t n = 0;
  for (; n < entries.size(); ++n) {
    auto& entry = entries[n];
    const std::string& eid = entry.seal ? entry.seal->election_id : entry.vote.election_id;
    if (n > 0 && limited) {
      auto t = touched.find(eid);
      const size_t worst = (t == touched.end() ? cost_of(eid) : 0) + (entry.seal ? 0 : 1);
      if (tally_entries + worst > max_tally_entries) break;
    }
    const size_t i = n;
    if (entry.seal) {
      if (sealed_.emplace(entry.seal->election_id, entry.seal->closed_at_ms).second) {
        commit.seals.push_back(*entry.seal);
        if (auto in = elections.find(entry.seal->election_id); in != elections.end()) {
          in->second.sealed = true;
        }
        if (limited) touch(entry.seal->election_id);
      }
      continue;
    }
    const VoteEvent& v = entry.vote;
    const PriorVotes& prior = (*counted)[i];
    // By log order only (the recount's replay decides the same way): behind the seal is closed,
    // ahead of it counts, whatever the vote's ingest time says against the catalog's closed_at.
    ElectionInBatch& in = election_of(v.election_id);
    DedupeVerdict d = dedupe_.Decide(in.election.get(), v, prior.counted > 0 ? &prior : nullptr,
                                     in.sealed, in.policy);
    if (d.verdict.outcome == Outcome::kCounted) {
      if (in.counts == nullptr) {
        in.counts = &tally_.elections[v.election_id];
        in.touched_key = &commit.tally.elections.try_emplace(v.election_id).first->first;
      }
      ++(*in.counts)[v.option_id];
      if (limited) touch(*in.touched_key);
    }
    commit.votes.push_back({std::move(entry), d.verdict.outcome, std::string(d.verdict.reason),
                            std::string(d.counted_vote_id), d.ordinal});
  }
  decided_ = n;
  commit.next_offset = entries[n - 1].offset + 1;
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
