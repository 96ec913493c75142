#include "audit/pseudonym_buckets.h"

#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

namespace urna {
namespace {

Status IoError(const char* what) {
  return Status(Code::kUnavailable,
                std::string("ledger export: ") + what + ": " + std::strerror(errno));
}

bool Before(const ExportRow& a, const ExportRow& b) {
  int c = std::memcmp(a.pseudonym, b.pseudonym, sizeof a.pseudonym);
  if (c != 0) return c < 0;
  return std::memcmp(a.vote_id, b.vote_id, sizeof a.vote_id) < 0;
}

// The pseudonym's first 8 bytes, big-endian: orders as the bytes do.
uint64_t Prefix(const ExportRow& r) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | r.pseudonym[i];
  return v;
}

}  // namespace

PseudonymBuckets::~PseudonymBuckets() {
  for (auto* f : file_) {
    if (f) std::fclose(f);
  }
  for (auto& h : mem_) {
    for (auto& c : h.chunks) std::free(c.rows);
  }
  for (auto& list : free_) {
    for (auto& c : list) std::free(c.rows);
  }
}

size_t PseudonymBuckets::Held::size() const {
  size_t n = 0;
  for (const auto& c : chunks) n += c.size;
  return n;
}

PseudonymBuckets::Chunk PseudonymBuckets::NewChunk(bool big) {
  if (auto& list = free_[big]; !list.empty()) {
    Chunk c = list.back();
    list.pop_back();
    return c;
  }
  Chunk c;
  if (big) {
    c.rows = static_cast<ExportRow*>(std::aligned_alloc(kBigChunkBytes, kBigChunkBytes));
    c.capacity = kBigChunkBytes / sizeof(ExportRow);
    // Advice only: without it (or without THP) the chunk is ordinary pages.
    if (c.rows) madvise(c.rows, kBigChunkBytes, MADV_HUGEPAGE);
  } else {
    c.rows = static_cast<ExportRow*>(std::malloc(kSmallChunkRows * sizeof(ExportRow)));
    c.capacity = kSmallChunkRows;
  }
  if (!c.rows) throw std::bad_alloc();
  return c;
}

Status PseudonymBuckets::Add(const ExportRow& row) {
  Held& h = mem_[row.pseudonym[0] * kBuckets / 256];
  if (h.chunks.empty() || h.chunks.back().size == h.chunks.back().capacity) {
    h.chunks.push_back(NewChunk(/*big=*/!h.chunks.empty()));
  }
  Chunk& c = h.chunks.back();
  c.rows[c.size++] = row;
  if (++held_ >= spill_rows_) return Spill();
  return Status::Ok();
}

Status PseudonymBuckets::Spill() {
  for (size_t b = 0; b < kBuckets; ++b) {
    Held& h = mem_[b];
    if (h.chunks.empty()) continue;
    if (!file_[b] && !(file_[b] = open_spill_())) return IoError("cannot create a temporary file");
    // Every chunk written before any is handed to free_: a failed write leaves each chunk owned
    // by the bucket alone (freed once, by the destructor).
    for (const Chunk& c : h.chunks) {
      if (std::fwrite(c.rows, sizeof(ExportRow), c.size, file_[b]) != c.size) {
        return IoError("cannot write a temporary file");
      }
    }
    for (size_t i = 0; i < h.chunks.size(); ++i) {
      Chunk c = h.chunks[i];
      c.size = 0;
      free_[i > 0].push_back(c);
    }
    h.chunks.clear();
  }
  held_ = 0;
  return Status::Ok();
}

Status PseudonymBuckets::ForEachSorted(const std::function<void(const ExportRow&)>& fn) {
  // Both reused from bucket to bucket (fresh memory costs a page fault per page): the rows read
  // back from a bucket's spill file, and the sort keys, 16-byte (prefix, row) pairs pointing at
  // those rows or at the chunks in place (never a copy of the 88-byte rows themselves).
  std::vector<ExportRow> spilled;
  std::vector<std::pair<uint64_t, const ExportRow*>> order;
  for (size_t b = 0; b < kBuckets; ++b) {
    spilled.clear();
    if (std::FILE* f = file_[b]) {
      if (std::fseek(f, 0, SEEK_END) != 0) return IoError("cannot read a temporary file");
      long bytes = std::ftell(f);
      spilled.resize(static_cast<size_t>(bytes) / sizeof(ExportRow));
      std::rewind(f);
      if (std::fread(spilled.data(), sizeof(ExportRow), spilled.size(), f) != spilled.size()) {
        return IoError("cannot read a temporary file");
      }
    }
    // Not consumed: a second walk needs them.
    const Held& h = mem_[b];
    order.clear();
    order.reserve(spilled.size() + h.size());
    for (const ExportRow& r : spilled) order.emplace_back(Prefix(r), &r);
    for (const Chunk& c : h.chunks) {
      for (size_t i = 0; i < c.size; ++i) order.emplace_back(Prefix(c.rows[i]), &c.rows[i]);
    }
    std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
      if (a.first != b.first) return a.first < b.first;
      return Before(*a.second, *b.second);
    });
    for (const auto& [prefix, row] : order) fn(*row);
  }
  return Status::Ok();
}

}  // namespace urna
