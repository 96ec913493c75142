// EmbeddedVoteLog::AppendGroup: a gateway batch as one durable write, keyed votes appended once.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <future>
#include <memory>
#include <thread>

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

// Caps the size any file of this process may grow to (RLIMIT_FSIZE; a write past it fails with
// EFBIG, SIGXFSZ ignored) until destroyed: a WAL write that fails, without mocking RocksDB.
class FileSizeCap {
 public:
  explicit FileSizeCap(rlim_t bytes) {
    old_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    getrlimit(RLIMIT_FSIZE, &old_);
    rlimit capped = old_;
    capped.rlim_cur = bytes;
    ok_ = setrlimit(RLIMIT_FSIZE, &capped) == 0;
  }
  ~FileSizeCap() {
    setrlimit(RLIMIT_FSIZE, &old_);
    std::signal(SIGXFSZ, old_handler_);
  }
  bool ok() const { return ok_; }

 private:
  rlimit old_{};
  void (*old_handler_)(int) = SIG_DFL;
  bool ok_ = false;
};

// The size of the largest write-ahead log file (*.log) in `dir`: the one being written.
uintmax_t WalBytes(const std::string& dir) {
  uintmax_t n = 0;
  for (const auto& f : std::filesystem::directory_iterator(dir)) {
    if (f.path().extension() == ".log") n = std::max(n, f.file_size());
  }
  return n;
}

// The appender reuses one WriteBatch: a write that failed must leave nothing of its votes or
// keys for the next write to carry into the log.
TEST(EmbeddedVoteLogGroupTest, AWriteAfterAFailedOneWritesOnlyItsOwnVotesAndKeys) {
  TempDir dir;
  DbOptions options;
  options.min_free_bytes = 0;  // recovery waits for nothing but the cap's removal
  auto db = EmbeddedDb::Open(dir.str(), 2, options);
  ASSERT_TRUE(db.ok()) << db.status().message();
  EmbeddedVoteLog log(**db);
  ASSERT_TRUE(GroupSync(log, {Keyed("id-0", "v0", "k0")})[0].ok());
  const uint64_t wal = WalBytes(dir.str());
  ASSERT_GT(wal, 0u);
  {
    // The failed write: its WAL record (a 16 KB voter id) cannot fit under the cap.
    FileSizeCap cap(wal + 512);
    ASSERT_TRUE(cap.ok());
    auto failed = GroupSync(log, {Keyed("id-a", std::string(16384, 'a'), "ka")});
    ASSERT_EQ(failed.size(), 1u);
    ASSERT_FALSE(failed[0].ok()) << "the capped write was not refused";
  }
  // Once the cap is gone the database recovers by itself (EmbeddedDb's recovery thread); retry
  // the next write (the same key and content: one vote however often it is tried) until then.
  Result<std::string> next = Status(Code::kUnavailable, "not tried");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  do {
    next = GroupSync(log, {Keyed("id-b", "vb", "kb")})[0];
    if (next.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  } while (std::chrono::steady_clock::now() < deadline);
  ASSERT_TRUE(next.ok()) << next.status().message();
  EXPECT_EQ(*next, "id-b");
  EXPECT_EQ(Entries(log), 2u);  // id-0 and id-b
  auto found = log.Find({"k0", "ka", "kb"});
  ASSERT_TRUE(found.ok());
  EXPECT_EQ((*found)[0].vote_id, "id-0");
  EXPECT_TRUE((*found)[1].vote_id.empty()) << "the failed write's key: " << (*found)[1].vote_id;
  EXPECT_EQ((*found)[2].vote_id, "id-b");
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
