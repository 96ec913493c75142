// TailIndex: a bounded in-memory index of the vote log's recent entries: hash of vote_id ->
// (partition, offset), so a pending receipt is found without scanning the unprocessed tail
// (EmbeddedLedger::FindReceipt). Filled by the log's appender thread after each durable write
// (and at open from the unprocessed tail); entries leave first-in first-out past `capacity`.
// Per partition it knows the lowest offset it still covers: below it a vote may be missing.
// About 80 bytes per entry (hash node, bucket, FIFO slot). Owned by EmbeddedVoteLog;
// thread-safe (one mutex): the appender adds, the API pool looks up.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sync/mutex.h"

namespace urna::embedded {

class TailIndex {
 public:
  struct Entry {
    uint64_t hash;
    uint32_t partition;
    uint64_t offset;
  };
  struct Lookup {
    std::vector<uint64_t> offsets;  // of entries in the partition whose vote_id has this hash
    uint64_t covered_from = 0;      // the partition's entries at this offset and above are in
  };

  TailIndex(uint32_t partitions, size_t capacity);

  static uint64_t Hash(std::string_view vote_id);
  size_t capacity() const { return capacity_; }

  // Forgets everything; partition p is covered from `covered_from[p]` (what a rebuild reads).
  void Reset(const std::vector<uint64_t>& covered_from);
  // Adds entries in log order (offsets increase per partition), evicting the oldest.
  void Add(const std::vector<Entry>& entries);
  Lookup Find(uint64_t hash, uint32_t partition) const;
  size_t size() const;

 private:
  struct Loc {
    uint32_t partition;
    uint64_t offset;
  };
  void EvictOldest() REQUIRES(mu_);

  const size_t capacity_;
  mutable Mutex mu_;
  std::unordered_multimap<uint64_t, Loc> by_hash_ GUARDED_BY(mu_);
  std::deque<Entry> fifo_ GUARDED_BY(mu_);
  std::vector<uint64_t> covered_from_ GUARDED_BY(mu_);
};

}  // namespace urna::embedded
