#include "adapters/embedded/local_read_model.h"

namespace urna::embedded {

Status LocalReadModel::Apply(const PartitionTally& update) {
  int64_t now = clock_.NowMs();
  MutexLock lock(mu_);
  for (const auto& [election, counts] : update.elections) {
    Entry& e = elections_[election];
    PartitionCounts& pc = e.partitions[update.partition];
    if (pc.next_offset >= update.next_offset && pc.next_offset != 0) continue;  // older: fenced
    pc.next_offset = update.next_offset;
    pc.counts = counts;
    ElectionTally merged;
    for (const auto& [p, c] : e.partitions) {
      merged.seq += c.next_offset;
      for (const auto& [option, n] : c.counts) merged.votes[option] += n;
    }
    merged.updated_at_ms = now;
    e.merged = std::move(merged);
  }
  return Status::Ok();
}

Result<ElectionTally> LocalReadModel::Get(std::string_view election_id) {
  MutexLock lock(mu_);
  auto it = elections_.find(election_id);
  if (it == elections_.end()) return ElectionTally{};
  return it->second.merged;
}

}  // namespace urna::embedded
