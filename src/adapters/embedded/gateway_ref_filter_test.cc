// The gateway refs ("gwref/" keys of the default column family) behind bloom filters: a look-up
// of a ref never stored (nearly every vote of a batch) is answered by the filter, in the memtable
// and in table files; and a data dir written before the default column family had filters opens
// and keeps its refs.
#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/perf_context.h>
#include <rocksdb/perf_level.h>

#include <chrono>
#include <future>
#include <memory>

#include "adapters/embedded/rocksdb_vote_log.h"
#include "adapters/embedded/test_dir.h"

namespace urna::embedded {
namespace {

KeyedVote Keyed(const std::string& id, const std::string& voter, const std::string& key) {
  return {{id, "e1", "a", voter, 1000, "n1"}, key, voter};
}

std::vector<Result<std::string>> GroupSync(VoteLog& log, std::vector<KeyedVote> votes) {
  auto p = std::make_shared<std::promise<std::vector<Result<std::string>>>>();
  const size_t n = votes.size();
  log.AppendGroup(std::move(votes),
                  [p](std::vector<Result<std::string>> r) { p->set_value(std::move(r)); });
  auto f = p->get_future();
  if (f.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
    ADD_FAILURE() << "AppendGroup did not answer within 30 s";
    return std::vector<Result<std::string>>(n, Status(Code::kInternal, "not answered"));
  }
  return f.get();
}

// Runs Find on this thread with RocksDB's perf counters on; returns what the filters answered.
struct FindCounts {
  Result<std::vector<GatewayRef>> found;
  uint64_t memtable_filtered = 0;  // memtable look-ups the bloom filter answered "absent"
  uint64_t table_filtered = 0;     // table file look-ups the bloom filter answered "absent"
};
FindCounts CountedFind(EmbeddedVoteLog& log, const std::vector<std::string>& keys) {
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kEnableCount);
  rocksdb::get_perf_context()->Reset();
  FindCounts c{log.Find(keys)};
  c.memtable_filtered = rocksdb::get_perf_context()->bloom_memtable_miss_count;
  c.table_filtered = rocksdb::get_perf_context()->bloom_sst_miss_count;
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
  return c;
}

TEST(GatewayRefFilterTest, LookupsOfNewRefsAreAnsweredByTheFilters) {
  TempDir dir;
  auto db = EmbeddedDb::Open(dir.str(), 2);
  ASSERT_TRUE(db.ok());
  EmbeddedVoteLog log(**db);
  ASSERT_TRUE(GroupSync(log, {Keyed("id-1", "v1", "k1")})[0].ok());
  std::vector<std::string> fresh;
  for (int i = 0; i < 50; ++i) fresh.push_back("new-" + std::to_string(i));
  auto in_memtable = CountedFind(log, fresh);
  ASSERT_TRUE(in_memtable.found.ok());
  for (const auto& r : *in_memtable.found) EXPECT_TRUE(r.vote_id.empty());
  EXPECT_GE(in_memtable.memtable_filtered, 40u);  // a bloom filter's few false positives
  // Once in a table file: its filter answers too, and the stored ref is still found.
  ASSERT_TRUE((*db)->db()->Flush({}, (*db)->db()->DefaultColumnFamily()).ok());
  fresh.push_back("k1");
  auto in_table = CountedFind(log, fresh);
  ASSERT_TRUE(in_table.found.ok());
  EXPECT_GE(in_table.table_filtered, 40u);
  EXPECT_EQ(in_table.found->back().vote_id, "id-1");
  EXPECT_EQ(in_table.found->back().fingerprint, "v1");
}

TEST(GatewayRefFilterTest, ADataDirWrittenWithoutFiltersKeepsItsRefs) {
  TempDir dir;
  {  // The layout of a data dir written before the filters: RocksDB's default options.
    const char* names[] = {"default", "log", "receipts", "ledger", "tallies", "offsets", "catalog"};
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (const char* n : names) cfs.emplace_back(n, rocksdb::ColumnFamilyOptions());
    rocksdb::DBOptions o;
    o.create_if_missing = true;
    o.create_missing_column_families = true;
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(o, dir.str(), cfs, &handles, &raw).ok());
    std::unique_ptr<rocksdb::DB> old(raw);
    std::string parts;
    PutU32(parts, 2);
    ASSERT_TRUE(old->Put({}, "partitions", parts).ok());
    ASSERT_TRUE(old->Put({}, std::string("gwref/in-table"), std::string("id-t\0fp-t", 9)).ok());
    ASSERT_TRUE(old->Flush({}, handles[0]).ok());  // a table file without a filter
    ASSERT_TRUE(old->Put({}, std::string("gwref/in-wal"), std::string("id-w\0fp-w", 9)).ok());
    for (auto* h : handles) ASSERT_TRUE(old->DestroyColumnFamilyHandle(h).ok());
    ASSERT_TRUE(old->Close().ok());
  }
  auto db = EmbeddedDb::Open(dir.str(), 4);
  ASSERT_TRUE(db.ok()) << db.status().message();
  EXPECT_EQ((*db)->partitions(), 2u);
  EmbeddedVoteLog log(**db);
  auto found = log.Find({"in-table", "in-wal", "never"});
  ASSERT_TRUE(found.ok());
  EXPECT_EQ((*found)[0].vote_id, "id-t");
  EXPECT_EQ((*found)[0].fingerprint, "fp-t");
  EXPECT_EQ((*found)[1].vote_id, "id-w");
  EXPECT_TRUE((*found)[2].vote_id.empty());
  // A retry of the old refs is answered with their votes; a new ref is appended.
  auto r = GroupSync(log, {Keyed("id-a", "fp-t", "in-table"), Keyed("id-b", "fp-w", "in-wal"),
                           Keyed("id-c", "v3", "new")});
  EXPECT_EQ(*r[0], "id-t");
  EXPECT_EQ(*r[1], "id-w");
  EXPECT_EQ(*r[2], "id-c");
  // Old and new tables side by side: every ref is still found.
  ASSERT_TRUE((*db)->db()->Flush({}, (*db)->db()->DefaultColumnFamily()).ok());
  found = log.Find({"in-table", "in-wal", "new"});
  ASSERT_TRUE(found.ok());
  EXPECT_EQ((*found)[0].vote_id, "id-t");
  EXPECT_EQ((*found)[1].vote_id, "id-w");
  EXPECT_EQ((*found)[2].vote_id, "id-c");
}

}  // namespace
}  // namespace urna::embedded
