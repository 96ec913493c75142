// LocalReadModel: the embedded deployment's read model, in process. Keeps each partition's
// absolute counts per election, fenced by offset, and the merged tally per election.
// `seq` of an election is the sum of the next offsets of the partitions that counted for it:
// it grows with every change and is derived from durable state, so it keeps growing across
// restarts. `updated_at` is when the election's counts last changed: per partition, the time its
// counts there took their present total (counts only grow, so the total tells a change apart
// from the same counts loaded again). With a database those times are kept in it (default
// column family, db.h), so a restart that loads the same counts keeps the times instead of
// stamping the restart's. Owned by the app; thread-safe (Apply on the processor threads, Get on
// any; the database is used outside the lock).
#pragma once

#include <atomic>
#include <map>
#include <optional>
#include <string>

#include "adapters/embedded/db.h"
#include "ports/clock.h"
#include "ports/read_model.h"
#include "sync/mutex.h"

namespace urna::embedded {

class LocalReadModel final : public ReadModel {
 public:
  // `db` null: the update times live in memory only (they restart at the first update).
  explicit LocalReadModel(const Clock& clock, EmbeddedDb* db = nullptr) : clock_(clock), db_(db) {}

  Status Apply(const PartitionTally& update) override;
  Result<ElectionTally> Get(std::string_view election_id) override;

 private:
  // When the counts of one election in one partition took their total.
  struct Stamp {
    uint64_t total = 0;
    int64_t at_ms = 0;
  };
  struct PartitionCounts {
    uint64_t next_offset = 0;
    OptionCounts counts;
    std::optional<Stamp> stamp;
  };
  struct Entry {
    std::map<uint32_t, PartitionCounts> partitions;
    ElectionTally merged;
  };

  std::optional<Stamp> LoadStamp(uint32_t partition, const std::string& election) const;
  void StoreStamp(uint32_t partition, const std::string& election, const Stamp& s) const;

  const Clock& clock_;
  EmbeddedDb* const db_;
  mutable std::atomic<bool> store_failing_{false};  // warned once until a store succeeds
  Mutex mu_;
  std::map<std::string, Entry, std::less<>> elections_ GUARDED_BY(mu_);
};

}  // namespace urna::embedded
