#include "adapters/embedded/rocksdb_catalog.h"

#include <gtest/gtest.h>

#include "adapters/embedded/test_dir.h"

namespace urna::embedded {
namespace {

TEST(EmbeddedCatalogTest, CreateConflictUpdateAndReload) {
  TempDir dir;
  Election e{"e1", "Title", {{"a", "A"}, {"b", "B"}}, ElectionStatus::kDraft, 10, 0, 0};
  {
    auto db = EmbeddedDb::Open(dir.str(), 2);
    auto cat = EmbeddedCatalog::Open(**db);
    ASSERT_TRUE(cat.ok());
    ASSERT_TRUE((*cat)->Create(e).ok());
    EXPECT_EQ((*cat)->Create(e).code(), Code::kConflict);
    ASSERT_TRUE(OpenElection(e, 20).ok());
    ASSERT_TRUE((*cat)->Update(e).ok());
    Election other{"e2", "T", {{"x", "X"}}, ElectionStatus::kDraft, 1, 0, 0};
    EXPECT_EQ((*cat)->Update(other).code(), Code::kNotFound);
  }
  auto db = EmbeddedDb::Open(dir.str(), 2);
  auto cat = EmbeddedCatalog::Open(**db);
  ASSERT_TRUE(cat.ok());
  auto got = (*cat)->Get("e1");
  ASSERT_TRUE(got.ok()) << got.status().message() << " " << (*cat)->List().size();
  EXPECT_EQ((*got)->status, ElectionStatus::kOpen);
  EXPECT_EQ((*got)->opened_at_ms, 20);
  EXPECT_EQ((*got)->options[1].label, "B");
  EXPECT_EQ((*cat)->List().size(), 1u);
  EXPECT_EQ((*cat)->Get("nope").status().code(), Code::kNotFound);
}

// admin: a deleted entry is gone after a reopen, its id can be created again; archived_at is
// stored.
TEST(EmbeddedCatalogTest, DeleteAndArchivedAtSurviveReload) {
  TempDir dir;
  Election draft{"d", "Draft", {{"a", "A"}}, ElectionStatus::kDraft, 10, 0, 0};
  Election kept{"k", "Kept", {{"a", "A"}}, ElectionStatus::kFinal, 10, 11, 12, 13};
  kept.archived_at_ms = 14;
  {
    auto db = EmbeddedDb::Open(dir.str(), 2);
    auto cat = EmbeddedCatalog::Open(**db);
    ASSERT_TRUE(cat.ok());
    ASSERT_TRUE((*cat)->Create(draft).ok());
    ASSERT_TRUE((*cat)->Create(kept).ok());
    ASSERT_TRUE((*cat)->Delete(draft).ok());
    EXPECT_EQ((*cat)->Get("d").status().code(), Code::kNotFound);
    EXPECT_EQ((*cat)->Delete(draft).code(), Code::kNotFound);
  }
  auto db = EmbeddedDb::Open(dir.str(), 2);
  auto cat = EmbeddedCatalog::Open(**db);
  ASSERT_TRUE(cat.ok());
  EXPECT_EQ((*cat)->Get("d").status().code(), Code::kNotFound);
  ASSERT_EQ((*cat)->List().size(), 1u);
  EXPECT_EQ((*(*cat)->Get("k"))->archived_at_ms, 14);
  EXPECT_TRUE((*cat)->Create(draft).ok());  // the id is free again
}

}  // namespace
}  // namespace urna::embedded
