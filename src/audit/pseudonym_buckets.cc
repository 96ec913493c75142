#include "audit/pseudonym_buckets.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
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

}  // namespace

PseudonymBuckets::~PseudonymBuckets() {
  for (auto* f : file_) {
    if (f) std::fclose(f);
  }
}

Status PseudonymBuckets::Add(const ExportRow& row) {
  mem_[row.pseudonym[0] * kBuckets / 256].push_back(row);
  if (++held_ >= spill_rows_) return Spill();
  return Status::Ok();
}

Status PseudonymBuckets::Spill() {
  for (size_t b = 0; b < kBuckets; ++b) {
    auto& rows = mem_[b];
    if (rows.empty()) continue;
    if (!file_[b] && !(file_[b] = std::tmpfile())) return IoError("cannot create a temporary file");
    if (std::fwrite(rows.data(), sizeof(ExportRow), rows.size(), file_[b]) != rows.size()) {
      return IoError("cannot write a temporary file");
    }
    rows.clear();
    rows.shrink_to_fit();
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
    rows.insert(rows.end(), mem_[b].begin(), mem_[b].end());
    mem_[b].clear();
    std::sort(rows.begin(), rows.end(), Before);
    for (const auto& r : rows) fn(r);
  }
  return Status::Ok();
}

}  // namespace urna
