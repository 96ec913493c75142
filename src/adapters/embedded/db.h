// EmbeddedDb: the one RocksDB database of a data directory, with a column family per kind of
// record. Owned by the app; shared (thread-safe) by the embedded adapters.
//
// Column families and keys (all integers big-endian so keys sort in numeric order):
//   log       [u32 partition][u64 offset]            -> urna.v1.LogRecord
//   receipts  vote_id                                -> pending: the 12-byte log key of the vote
//                                                       (written with it); once processed, an
//                                                       urna.v1.Receipt (duplicate or rejected)
//   ledger    election \0 voter                      -> urna.v1.Receipt of the counted vote (a
//                                                       counted vote's receipts row stays pending)
//   tallies   [u32 partition] election \0 option     -> u64 count (absolute)
//   offsets   [u32 partition]                        -> u64 next offset to process
//   catalog   election id                            -> urna.v1.Election
//   default   "partitions"                           -> u32 (fixed when the data dir is made)
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
}  // namespace rocksdb

namespace urna::embedded {

class EmbeddedDb {
 public:
  // Opens or creates the database under `dir`. A new data dir gets `partitions` partitions;
  // an existing one keeps its own count.
  static Result<std::unique_ptr<EmbeddedDb>> Open(const std::string& dir, uint32_t partitions);
  ~EmbeddedDb();

  rocksdb::DB* db() const { return db_; }
  rocksdb::ColumnFamilyHandle* log() const { return cf_[1]; }
  rocksdb::ColumnFamilyHandle* receipts() const { return cf_[2]; }
  rocksdb::ColumnFamilyHandle* ledger() const { return cf_[3]; }
  rocksdb::ColumnFamilyHandle* tallies() const { return cf_[4]; }
  rocksdb::ColumnFamilyHandle* offsets() const { return cf_[5]; }
  rocksdb::ColumnFamilyHandle* catalog() const { return cf_[6]; }
  uint32_t partitions() const { return partitions_; }

 private:
  EmbeddedDb() = default;
  rocksdb::DB* db_ = nullptr;
  rocksdb::ColumnFamilyHandle* cf_[7] = {};
  uint32_t partitions_ = 0;
};

// Key helpers shared by the embedded adapters.
void PutU32(std::string& out, uint32_t v);
void PutU64(std::string& out, uint64_t v);
uint32_t GetU32(std::string_view in);
uint64_t GetU64(std::string_view in);
inline constexpr size_t kLogKeySize = 12;
std::string LogKey(uint32_t partition, uint64_t offset);
std::string VoterKeyBytes(std::string_view election_id, std::string_view voter_id);

}  // namespace urna::embedded
