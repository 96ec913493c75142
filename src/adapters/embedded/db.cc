#include "adapters/embedded/db.h"

#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>

#include <vector>

namespace urna::embedded {
namespace {

constexpr const char* kCfNames[] = {"default", "log",     "receipts", "ledger",
                                    "tallies", "offsets", "catalog"};

rocksdb::ColumnFamilyOptions CfOptions(std::string_view name) {
  rocksdb::ColumnFamilyOptions o;
  if (name == "ledger" || name == "receipts") {
    // Point lookups (is this voter counted? what became of this vote?) dominate: bloom filters.
    rocksdb::BlockBasedTableOptions t;
    t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
    // Most lookups miss (a voter's first vote): a memtable bloom filter answers them without
    // walking the skiplist.
    o.memtable_whole_key_filtering = true;
    o.memtable_prefix_bloom_size_ratio = 0.05;
  }
  if (name == "log") {
    // Each partition's keys are appended in order: a per-partition insert hint lets the
    // memtable skip the search from the top of the skiplist for every new entry.
    o.memtable_insert_with_hint_prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(4));
  }
  return o;
}

}  // namespace

Result<std::unique_ptr<EmbeddedDb>> EmbeddedDb::Open(const std::string& dir, uint32_t partitions) {
  rocksdb::DBOptions opts;
  opts.create_if_missing = true;
  opts.create_missing_column_families = true;
  opts.IncreaseParallelism(2);
  opts.recycle_log_file_num = 4;
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  for (const char* n : kCfNames) cfs.emplace_back(n, CfOptions(n));
  std::unique_ptr<EmbeddedDb> e(new EmbeddedDb());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  auto s = rocksdb::DB::Open(opts, dir, cfs, &handles, &e->db_);
  if (!s.ok())
    return Status(Code::kUnavailable, "cannot open data dir " + dir + ": " + s.ToString());
  for (size_t i = 0; i < handles.size(); ++i) e->cf_[i] = handles[i];

  std::string v;
  s = e->db_->Get(rocksdb::ReadOptions(), "partitions", &v);
  if (s.ok() && v.size() == 4) {
    e->partitions_ = GetU32(v);
  } else if (s.IsNotFound()) {
    std::string p;
    PutU32(p, partitions);
    rocksdb::WriteOptions w;
    w.sync = true;
    s = e->db_->Put(w, "partitions", p);
    if (!s.ok()) return Status(Code::kUnavailable, "cannot initialise data dir: " + s.ToString());
    e->partitions_ = partitions;
  } else {
    return Status(Code::kInternal, "data dir has a bad partition count: " + s.ToString());
  }
  return e;
}

EmbeddedDb::~EmbeddedDb() {
  if (db_ == nullptr) return;
  for (auto* h : cf_) {
    if (h != nullptr) db_->DestroyColumnFamilyHandle(h);
  }
  db_->Close();
  delete db_;
}

void PutU32(std::string& out, uint32_t v) {
  for (int i = 3; i >= 0; --i) out.push_back(static_cast<char>(v >> (8 * i)));
}
void PutU64(std::string& out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>(v >> (8 * i)));
}
uint32_t GetU32(std::string_view in) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}
uint64_t GetU64(std::string_view in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}
std::string LogKey(uint32_t partition, uint64_t offset) {
  std::string k;
  k.reserve(12);
  PutU32(k, partition);
  PutU64(k, offset);
  return k;
}
std::string VoterKeyBytes(std::string_view election_id, std::string_view voter_id) {
  std::string k;
  k.reserve(election_id.size() + voter_id.size() + 1);
  k.append(election_id);
  k.push_back('\0');
  k.append(voter_id);
  return k;
}

}  // namespace urna::embedded
