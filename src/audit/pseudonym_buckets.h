// PseudonymBuckets: puts ledger export rows into pseudonym order without holding them all in
// memory. Rows go to 64 buckets by the pseudonym's first bits; when more than `spill_rows` are
// held, every bucket is appended to its own temporary file (std::tmpfile: unlinked, gone at
// close). ForEachSorted then reads one bucket at a time, sorts it by pseudonym and hands the
// rows out. The memory, worst case: spill_rows rows of sizeof(ExportRow) = 88 bytes (the default
// 4,000,000 rows is ~350 MB; `urna serve --export-buffer-rows`), plus the chunks' unfilled
// room: each of the 64 buckets may hold a partly filled 2 MiB chunk, so up to 64 x 2 MiB =
// 128 MiB more (kept for reuse after a spill, never more); plus, while walking, one bucket
// (1/64 of the ledger) and its 16-byte sort keys. Rows are held in chunks: a bucket's first of
// kSmallChunkRows, then chunks of 2 MiB asked to be transparent huge pages (MADV_HUGEPAGE: one
// page fault where 4 KiB pages took 512, which was a third of the ledger pass's CPU), so a
// growing bucket never copies what it holds; a spill keeps the chunks for reuse.
// Hand-written because no Debian library does a small fixed-record external sort.
// Owned by one LedgerExport run; single-threaded.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <vector>

#include "core/status.h"

namespace urna {

struct ExportRow {
  unsigned char pseudonym[32];  // HMAC-SHA256(audit key, voter id)
  char vote_id[36];             // UUIDv7 in canonical text (36 chars), zero-padded if shorter
  uint8_t vote_id_size;
  uint32_t option;  // index into the export's option list
  int64_t cast_at_ms;
};

class PseudonymBuckets {
 public:
  static constexpr size_t kBuckets = 64;
  static constexpr size_t kSmallChunkRows = 1024;    // a bucket's first chunk (88 KiB)
  static constexpr size_t kBigChunkBytes = 2 << 20;  // its later ones (one huge page)
  // Opens a bucket's spill file; std::tmpfile unless a test injects one (e.g. a full disk).
  using OpenSpillFile = std::FILE* (*)();
  explicit PseudonymBuckets(size_t spill_rows, OpenSpillFile open_spill = &std::tmpfile)
      : spill_rows_(spill_rows), open_spill_(open_spill) {}
  ~PseudonymBuckets();
  PseudonymBuckets(const PseudonymBuckets&) = delete;
  PseudonymBuckets& operator=(const PseudonymBuckets&) = delete;

  // After an error (a spill that could not be written) the buckets are only fit to be destroyed.
  Status Add(const ExportRow& row);
  // Every row added, in ascending pseudonym order (ties by vote_id). May be called again (the
  // ledger export walks the rows twice for HTTP); rows added between two walks are included.
  Status ForEachSorted(const std::function<void(const ExportRow&)>& fn);

 private:
  Status Spill();

  struct Chunk {
    ExportRow* rows = nullptr;  // std::free'd
    size_t capacity = 0, size = 0;
  };
  // One bucket's rows in memory, in the order added.
  struct Held {
    std::vector<Chunk> chunks;
    size_t size() const;
  };
  Chunk NewChunk(bool big);

  size_t spill_rows_;
  OpenSpillFile open_spill_;
  size_t held_ = 0;
  Held mem_[kBuckets];
  std::vector<Chunk> free_[2];  // emptied by a spill, for reuse: [0] small, [1] big
  std::FILE* file_[kBuckets] = {};
};

}  // namespace urna
