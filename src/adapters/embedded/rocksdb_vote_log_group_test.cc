// EmbeddedVoteLog::AppendGroup: a gateway batch as one durable write, keyed votes appended once.
#include <gtest/gtest.h>

#include <future>

#include "adapters/embedded/rocksdb_gateway_store.h"
#include "adapters/embedded/rocksdb_vote_log.h"
#include "adapters/embedded/test_dir.h"

namespace urna::embedded {
namespace {
using std::string_literals::operator""s;

KeyedVote Keyed(const std::string& id, const std::string& voter, const std::string& key) {
  return {{id, "e1", "a", voter, 1000, "n1"}, key};
}

std::vector<Result<std::string>> GroupSync(VoteLog& log, std::vector<KeyedVote> votes) {
  std::promise<std::vector<Result<std::string>>> p;
  log.AppendGroup(std::move(votes),
                  [&p](std::vector<Result<std::string>> r) { p.set_value(std::move(r)); });
  return p.get_future().get();
}

uint64_t Entries(EmbeddedVoteLog& log) {
  uint64_t n = 0;
  for (uint32_t p = 0; p < log.partitions(); ++p) n += log.end_offset(p);
  return n;
}

TEST(EmbeddedVoteLogGroupTest, OneWriteForTheGroupAndEachKeyOnce) {
  TempDir dir;
  auto db = EmbeddedDb::Open(dir.str(), 4);
  ASSERT_TRUE(db.ok());
  {
    EmbeddedVoteLog log(**db);
    auto r = GroupSync(log, {Keyed("id-1", "v1", "g\0e1\0r1"s), Keyed("id-2", "v2", "k2"),
                             Keyed("id-3", "v3", "g\0e1\0r1"s), Keyed("id-4", "v4", "")});
    ASSERT_EQ(r.size(), 4u);
    for (auto& x : r) ASSERT_TRUE(x.ok());
    EXPECT_EQ(*r[0], "id-1");
    EXPECT_EQ(*r[1], "id-2");
    EXPECT_EQ(*r[2], "id-1");  // the same key in the group: the first vote
    EXPECT_EQ(*r[3], "id-4");  // no key: always appended
    EXPECT_EQ(Entries(log), 3u);
    EXPECT_EQ(log.stats().batches, 1u);  // one fsync'd write for the whole group

    // A retry: the stored keys answer their first votes, only new ones are appended.
    auto again = GroupSync(log, {Keyed("id-5", "v1", "g\0e1\0r1"s), Keyed("id-6", "v6", "k6")});
    EXPECT_EQ(*again[0], "id-1");
    EXPECT_EQ(*again[1], "id-6");
    EXPECT_EQ(Entries(log), 4u);
    // A group of known keys only writes nothing.
    auto none = GroupSync(log, {Keyed("id-7", "v2", "k2")});
    EXPECT_EQ(*none[0], "id-2");
    EXPECT_EQ(Entries(log), 4u);
    EXPECT_EQ(log.stats().batches, 2u);
  }
  // The keys are durable with their votes: a restart still knows them.
  EmbeddedVoteLog log(**db);
  auto after = GroupSync(log, {Keyed("id-8", "v6", "k6")});
  EXPECT_EQ(*after[0], "id-6");
  EXPECT_EQ(Entries(log), 4u);
}

TEST(EmbeddedVoteLogGroupTest, EmptyGroupAnswersAtOnce) {
  TempDir dir;
  auto db = EmbeddedDb::Open(dir.str(), 2);
  ASSERT_TRUE(db.ok());
  EmbeddedVoteLog log(**db);
  EXPECT_TRUE(GroupSync(log, {}).empty());
}

TEST(EmbeddedGatewayStoreTest, CreateRevokeListSurviveReopen) {
  TempDir dir;
  {
    auto db = EmbeddedDb::Open(dir.str(), 2);
    ASSERT_TRUE(db.ok());
    EmbeddedGatewayStore store(**db);
    ASSERT_TRUE(store.Create({"sms-br", "abc", {"e1", "e2"}, 5, 0}).ok());
    ASSERT_TRUE(store.Create({"edge", "def", {}, 6, 0}).ok());
    EXPECT_EQ(store.Create({"edge", "xyz", {}, 7, 0}).code(), Code::kConflict);
    auto r = store.Revoke("edge", 9);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->revoked_at_ms, 9);
    EXPECT_EQ(store.Revoke("edge", 12)->revoked_at_ms, 9);  // the first time stays
    EXPECT_EQ(store.Revoke("nope", 9).status().code(), Code::kNotFound);
  }
  auto db = EmbeddedDb::Open(dir.str(), 2);
  ASSERT_TRUE(db.ok());
  EmbeddedGatewayStore store(**db);
  auto all = store.List();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, "edge");
  EXPECT_TRUE((*all)[0].revoked());
  EXPECT_TRUE((*all)[0].elections.empty());
  EXPECT_EQ((*all)[1].id, "sms-br");
  EXPECT_EQ((*all)[1].secret_sha256, "abc");
  EXPECT_EQ((*all)[1].elections, (std::vector<std::string>{"e1", "e2"}));
  EXPECT_FALSE((*all)[1].revoked());
  EXPECT_TRUE((*all)[1].MayVoteIn("e2"));
  EXPECT_FALSE((*all)[1].MayVoteIn("e3"));
}

}  // namespace
}  // namespace urna::embedded
