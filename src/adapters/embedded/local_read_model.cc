#include "adapters/embedded/local_read_model.h"

#include <rocksdb/db.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <vector>

namespace urna::embedded {
namespace {

// default column family: "updated_at" \0 [u32 partition, big-endian] election -> "total at_ms"
std::string StampKey(uint32_t partition, const std::string& election) {
  std::string k("updated_at", 10);
  k.push_back('\0');
  for (int shift = 24; shift >= 0; shift -= 8) k.push_back(static_cast<char>(partition >> shift));
  return k + election;
}

}  // namespace

std::optional<LocalReadModel::Stamp> LocalReadModel::LoadStamp(uint32_t partition,
                                                               const std::string& election) const {
  if (db_ == nullptr) return std::nullopt;
  auto lease = db_->Use();
  if (!lease.ok()) return std::nullopt;
  std::string v;
  if (!db_->db()->Get(rocksdb::ReadOptions(), StampKey(partition, election), &v).ok()) {
    return std::nullopt;
  }
  Stamp s;
  size_t space = v.find(' ');
  if (space == std::string::npos) return std::nullopt;
  auto a = std::from_chars(v.data(), v.data() + space, s.total);
  auto b = std::from_chars(v.data() + space + 1, v.data() + v.size(), s.at_ms);
  if (a.ec != std::errc() || b.ec != std::errc()) return std::nullopt;
  return s;
}

void LocalReadModel::StoreStamp(uint32_t partition, const std::string& election,
                                const Stamp& s) const {
  if (db_ == nullptr) return;
  auto lease = db_->Use();
  if (!lease.ok()) return;  // the time lives in memory; a restart stamps again
  auto st = db_->db()->Put(rocksdb::WriteOptions(), StampKey(partition, election),
                           std::to_string(s.total) + " " + std::to_string(s.at_ms));
  if (st.ok()) {
    store_failing_ = false;
  } else if (!store_failing_.exchange(true)) {
    // Storage faults are reported and repaired by EmbeddedDb; one line here, not one per batch.
    spdlog::warn("cannot keep the results' update time (kept in memory): {}", st.ToString());
  }
}

Status LocalReadModel::Apply(const PartitionTally& update) {
  const int64_t now = clock_.NowMs();
  // The stamp each changed election gets in this partition: worked out before the lock (it may
  // read or write the database). Only this partition's processor thread applies its updates,
  // so the stamps read here are not changed by anyone before the lock below.
  enum Seen { kNew, kKnown, kFenced };
  std::vector<std::pair<std::string, Stamp>> stamps;
  std::vector<Seen> seen;
  {
    MutexLock lock(mu_);
    for (const auto& [election, counts] : update.elections) {
      Stamp s{Total(counts), now};
      Seen how = kNew;
      auto e = elections_.find(election);
      if (e != elections_.end()) {
        auto pc = e->second.partitions.find(update.partition);
        if (pc != e->second.partitions.end()) {
          const PartitionCounts& c = pc->second;
          if (c.next_offset >= update.next_offset && c.next_offset != 0) {
            how = kFenced;
          } else if (c.stamp) {
            how = kKnown;
            if (c.stamp->total == s.total) s.at_ms = c.stamp->at_ms;
          }
        }
      }
      stamps.emplace_back(election, s);
      seen.push_back(how);
    }
  }
  for (size_t i = 0; i < stamps.size(); ++i) {
    auto& [election, s] = stamps[i];
    if (seen[i] == kFenced) continue;
    if (seen[i] == kNew) {
      // First seen since start: the same counts as stored keep the stored time.
      if (auto stored = LoadStamp(update.partition, election); stored && stored->total == s.total) {
        s.at_ms = stored->at_ms;
        continue;
      }
    } else if (s.at_ms != now) {
      continue;  // unchanged
    }
    StoreStamp(update.partition, election, s);
  }

  MutexLock lock(mu_);
  size_t i = 0;
  for (const auto& [election, counts] : update.elections) {
    const Stamp stamp = stamps[i++].second;
    Entry& e = elections_[election];
    PartitionCounts& pc = e.partitions[update.partition];
    if (pc.next_offset >= update.next_offset && pc.next_offset != 0) continue;  // older: fenced
    pc.next_offset = update.next_offset;
    pc.counts = counts;
    pc.stamp = stamp;
    ElectionTally merged;
    for (const auto& [p, c] : e.partitions) {
      merged.seq += c.next_offset;
      for (const auto& [option, n] : c.counts) merged.votes[option] += n;
      if (c.stamp) merged.updated_at_ms = std::max(merged.updated_at_ms, c.stamp->at_ms);
    }
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
