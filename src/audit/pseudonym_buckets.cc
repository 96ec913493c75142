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
  for (size_t b = 0; b < kBuckets; ++b) {
    std::vector<ExportRow> rows;
    if (std::FILE* f = file_[b]) {
      if (std::fseek(f, 0, SEEK_END) != 0) return IoError("cannot read a temporary file");
      long bytes = std::ftell(f);
      rows.resize(static_cast<size_t>(bytes) / sizeof(ExportRow));
      std::rewind(f);
      if (std::fread(rows.data(), sizeof(ExportRow), rows.size(), f) != rows.size()) {
        return IoError("cannot read a temporary file");
      }
    }
    // Copied, not moved: a second walk needs them.
    const Held& h = mem_[b];
    rows.reserve(rows.size() + h.size());
    for (const Chunk& c : h.chunks) rows.insert(rows.end(), c.rows, c.rows + c.size);
    // Sort 16-byte (prefix, index) keys rather than the 88-byte rows themselves.
    std::vector<std::pair<uint64_t, uint32_t>> order(rows.size());
    for (uint32_t i = 0; i < rows.size(); ++i) order[i] = {Prefix(rows[i]), i};
    std::sort(order.begin(), order.end(), [&rows](const auto& a, const auto& b) {
      if (a.first != b.first) return a.first < b.first;
      return Before(rows[a.second], rows[b.second]);
    });
    for (const auto& [prefix, i] : order) fn(rows[i]);
  }
  return Status::Ok();
}

}  // namespace urna
