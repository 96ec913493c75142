#include "adapters/embedded/tail_index.h"

#include <algorithm>
#include <functional>

namespace urna::embedded {

TailIndex::TailIndex(uint32_t partitions, size_t capacity)
    : capacity_(capacity), covered_from_(partitions, 0) {}

uint64_t TailIndex::Hash(std::string_view vote_id) {
  return std::hash<std::string_view>{}(vote_id);  // 64-bit; a hit is checked against the entry
}

void TailIndex::Reset(const std::vector<uint64_t>& covered_from) {
  MutexLock lock(mu_);
  by_hash_.clear();
  fifo_.clear();
  covered_from_ = covered_from;
}

void TailIndex::EvictOldest() {
  const Entry e = fifo_.front();
  fifo_.pop_front();
  auto [b, end] = by_hash_.equal_range(e.hash);
  for (auto it = b; it != end; ++it) {
    if (it->second.partition == e.partition && it->second.offset == e.offset) {
      by_hash_.erase(it);
      break;
    }
  }
  covered_from_[e.partition] = std::max(covered_from_[e.partition], e.offset + 1);
}

void TailIndex::Add(const std::vector<Entry>& entries) {
  MutexLock lock(mu_);
  for (const Entry& e : entries) {
    if (capacity_ == 0) {
      covered_from_[e.partition] = std::max(covered_from_[e.partition], e.offset + 1);
      continue;
    }
    while (fifo_.size() >= capacity_) EvictOldest();
    fifo_.push_back(e);
    by_hash_.emplace(e.hash, Loc{e.partition, e.offset});
  }
}

TailIndex::Lookup TailIndex::Find(uint64_t hash, uint32_t partition) const {
  Lookup out;
  MutexLock lock(mu_);
  out.covered_from = covered_from_[partition];
  auto [b, end] = by_hash_.equal_range(hash);
  for (auto it = b; it != end; ++it) {
    if (it->second.partition == partition) out.offsets.push_back(it->second.offset);
  }
  return out;
}

size_t TailIndex::size() const {
  MutexLock lock(mu_);
  return fifo_.size();
}

}  // namespace urna::embedded
