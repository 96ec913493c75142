// EmbeddedVoteLog::AppendGroup: a gateway batch as one durable write, keyed votes appended once.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>

#include "adapters/embedded/rocksdb_gateway_store.h"
#include "adapters/embedded/rocksdb_vote_log.h"
#include "adapters/embedded/test_dir.h"

namespace urna::embedded {
namespace {
using std::string_literals::operator""s;

// A keyed vote whose content fingerprint is its voter (the log only compares them).
KeyedVote Keyed(const std::string& id, const std::string& voter, const std::string& key) {
  return {{id, "e1", "a", voter, 1000, "n1"}, key, voter};
}

// Appends and waits for the answer (30 s at most: then every vote is a kInternal failure).
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
                             Keyed("id-3", "v1", "g\0e1\0r1"s), Keyed("id-4", "v4", ""),
                             Keyed("id-5", "v5", "g\0e1\0r1"s)});
    ASSERT_EQ(r.size(), 5u);
    for (size_t i = 0; i < 4; ++i) ASSERT_TRUE(r[i].ok()) << i;
    EXPECT_EQ(*r[0], "id-1");
    EXPECT_EQ(*r[1], "id-2");
    EXPECT_EQ(*r[2], "id-1");  // the same key and content in the group: the first vote
    EXPECT_EQ(*r[3], "id-4");  // no key: always appended
    // The same key for another vote: refused, not answered with the first vote's id.
    EXPECT_EQ(r[4].status().code(), Code::kConflict);
    EXPECT_EQ(Entries(log), 3u);
    EXPECT_EQ(log.stats().batches, 1u);  // one fsync'd write for the whole group

    // A retry: the stored keys answer their first votes, only new ones are appended.
    auto again = GroupSync(log, {Keyed("id-5", "v1", "g\0e1\0r1"s), Keyed("id-6", "v6", "k6"),
                                 Keyed("id-9", "v9", "k2"), Keyed("id-10", "v9", "k2")});
    EXPECT_EQ(*again[0], "id-1");
    EXPECT_EQ(*again[1], "id-6");
    // A stored key with another vote: a conflict, and so is its repeat in the group.
    EXPECT_EQ(again[2].status().code(), Code::kConflict);
    EXPECT_EQ(again[3].status().code(), Code::kConflict);
    EXPECT_EQ(Entries(log), 4u);
    // A group of known keys only writes nothing.
    auto none = GroupSync(log, {Keyed("id-7", "v2", "k2")});
    EXPECT_EQ(*none[0], "id-2");
    EXPECT_EQ(Entries(log), 4u);
    EXPECT_EQ(log.stats().batches, 2u);
  }
  // The keys are durable with their votes: a restart still knows them.
  EmbeddedVoteLog log(**db);
  auto after = GroupSync(log, {Keyed("id-8", "v6", "k6"), Keyed("id-11", "v1", "k6")});
  EXPECT_EQ(*after[0], "id-6");
  EXPECT_EQ(after[1].status().code(), Code::kConflict);
  EXPECT_EQ(Entries(log), 4u);
  // Find (ingest's read-only look-up) reads what the keys were stored with.
  auto found = log.Find({"k6", "nope"});
  ASSERT_TRUE(found.ok());
  EXPECT_EQ((*found)[0].vote_id, "id-6");
  EXPECT_EQ((*found)[0].fingerprint, "v6");
  EXPECT_TRUE((*found)[1].vote_id.empty());
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
