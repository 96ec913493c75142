#include "adapters/embedded/db.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "adapters/embedded/test_dir.h"

namespace urna::embedded {
namespace {

unsigned Mode(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

TEST(EmbeddedDbTest, MakesTheDataDirAndItsFilesPrivate) {
  TempDir parent;
  std::string dir = parent.str() + "/data";
  std::filesystem::create_directory(dir);
  ::chmod(dir.c_str(), 0755);  // as older versions made it
  std::ofstream(dir + "/stray") << "x";
  ::chmod((dir + "/stray").c_str(), 0644);
  {
    auto db = EmbeddedDb::Open(dir, 2);
    ASSERT_TRUE(db.ok()) << db.status().message();
    EXPECT_TRUE((*db)->health().healthy());
  }
  EXPECT_EQ(Mode(dir), 0700u);
  EXPECT_EQ(Mode(dir + "/stray"), 0600u);
  EXPECT_EQ(Mode(dir + "/LOG"), 0600u);   // our info log, not RocksDB's
  EXPECT_EQ(Mode(dir + "/LOCK"), 0600u);  // RocksDB makes it 0644 whatever it is told

  std::string fresh = parent.str() + "/fresh";
  auto db = EmbeddedDb::Open(fresh, 2);
  ASSERT_TRUE(db.ok()) << db.status().message();
  EXPECT_EQ(Mode(fresh), 0700u);
}

TEST(EmbeddedDbTest, RefusesToOpenWithoutTheFreeSpaceItNeeds) {
  TempDir parent;
  std::string dir = parent.str() + "/data";
  DbOptions o;
  o.min_free_bytes = uint64_t{1} << 62;  // more than any disk here
  auto db = EmbeddedDb::Open(dir, 2, o);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), Code::kUnavailable);
  EXPECT_NE(db.status().message().find("disk full"), std::string::npos) << db.status().message();
  EXPECT_NE(db.status().message().find("--min-free-disk-mb"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir + "/CURRENT")) << "RocksDB must not have started";
}

TEST(EmbeddedDbTest, LeaseHoldsTheOpenDatabase) {
  TempDir dir;
  auto db = EmbeddedDb::Open(dir.str(), 2);
  ASSERT_TRUE(db.ok()) << db.status().message();
  auto lease = (*db)->Use();
  ASSERT_TRUE(lease.ok()) << lease.status().message();
  EXPECT_EQ(lease.generation(), 0u);
  EXPECT_NE((*db)->db(), nullptr);
  auto view = (*db)->health().view();
  EXPECT_TRUE(view.healthy);
  EXPECT_EQ(view.failures, 0u);
  EXPECT_EQ(view.recoveries, 0u);
}

}  // namespace
}  // namespace urna::embedded
