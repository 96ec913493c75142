#include "audit/pseudonym_buckets.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
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
}

std::unique_ptr<ExportRow[]> PseudonymBuckets::NewChunk() {
  if (free_.empty()) return std::make_unique_for_overwrite<ExportRow[]>(kChunkRows);
  auto chunk = std::move(free_.back());
  free_.pop_back();
  return chunk;
}

Status PseudonymBuckets::Add(const ExportRow& row) {
  Held& h = mem_[row.pseudonym[0] * kBuckets / 256];
  if (h.last == kChunkRows) {
    h.chunks.push_back(NewChunk());
    h.last = 0;
  }
  h.chunks.back()[h.last++] = row;
  if (++held_ >= spill_rows_) return Spill();
  return Status::Ok();
}

Status PseudonymBuckets::Spill() {
  for (size_t b = 0; b < kBuckets; ++b) {
    Held& h = mem_[b];
    if (h.chunks.empty()) continue;
    if (!file_[b] && !(file_[b] = std::tmpfile())) return IoError("cannot create a temporary file");
    for (size_t c = 0; c < h.chunks.size(); ++c) {
      size_t n = c + 1 == h.chunks.size() ? h.last : kChunkRows;
      if (std::fwrite(h.chunks[c].get(), sizeof(ExportRow), n, file_[b]) != n) {
        return IoError("cannot write a temporary file");
      }
      free_.push_back(std::move(h.chunks[c]));
    }
    h.chunks.clear();
    h.last = kChunkRows;
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
    for (size_t c = 0; c < h.chunks.size(); ++c) {
      const ExportRow* chunk = h.chunks[c].get();
      rows.insert(rows.end(), chunk, chunk + (c + 1 == h.chunks.size() ? h.last : kChunkRows));
    }
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
