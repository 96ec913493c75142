#include "processor/group_processor.h"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <optional>
#include <set>
#include <thread>

#include "adapters/memory/memory_catalog.h"
#include "adapters/memory/memory_processor_state.h"
#include "adapters/memory/memory_read_model.h"
#include "adapters/memory/memory_vote_log.h"
#include "core/partition.h"
#include "core/tally.h"

namespace urna {
namespace {

using std::chrono::milliseconds;

bool WaitFor(const std::function<bool()>& done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(milliseconds(2));
  }
  return true;
}

// The group, as the test decides it: Assign/Revoke call the listener as a consumer group's
// rebalance would (on the calling thread); the committed group offsets are recorded.
class TestAssignment final : public PartitionAssignment {
 public:
  Status Subscribe(AssignmentListener& l) override {
    MutexLock lock(mu_);
    listener_ = &l;
    return Status::Ok();
  }
  void Unsubscribe() override {
    AssignmentListener* l;
    std::vector<uint32_t> all;
    {
      MutexLock lock(mu_);
      l = std::exchange(listener_, nullptr);
      all.assign(owned_.begin(), owned_.end());
      owned_.clear();
    }
    if (l && !all.empty()) l->OnRevoked(all);
  }
  void CommitProgress(uint32_t partition, uint64_t next_offset) override {
    MutexLock lock(mu_);
    committed_[partition] = next_offset;
  }
  std::map<uint32_t, uint64_t> Assign(const std::vector<uint32_t>& ps) {
    AssignmentListener* l;
    {
      MutexLock lock(mu_);
      l = listener_;
      owned_.insert(ps.begin(), ps.end());
    }
    return l->OnAssigned(ps);
  }
  void Revoke(const std::vector<uint32_t>& ps) {
    AssignmentListener* l;
    {
      MutexLock lock(mu_);
      l = listener_;
      for (uint32_t p : ps) owned_.erase(p);
    }
    l->OnRevoked(ps);
  }
  std::map<uint32_t, uint64_t> committed() {
    MutexLock lock(mu_);
    return committed_;
  }
  uint32_t partitions() const override { return 4; }

 private:
  Mutex mu_;
  AssignmentListener* listener_ GUARDED_BY(mu_) = nullptr;
  std::set<uint32_t> owned_ GUARDED_BY(mu_);
  std::map<uint32_t, uint64_t> committed_ GUARDED_BY(mu_);
};

// A LogReader over MemoryLog that records each Read's partition and offset, and can hold the
// reads of one partition (a batch in hand) until released.
class WatchedLog final : public LogReader {
 public:
  explicit WatchedLog(memory::MemoryLog& log) : log_(log) {}
  Result<std::vector<LogEntry>> Read(uint32_t partition, uint64_t from, size_t max,
                                     milliseconds wait) override {
    MutexLock lock(mu_);
    reads_.push_back({partition, from});
    cv_.NotifyAll();
    while (hold_ && *hold_ == partition) {
      in_hold_ = true;
      cv_.NotifyAll();
      cv_.Wait(mu_);
    }
    in_hold_ = false;
    lock.Unlock();
    return log_.Read(partition, from, max, wait);
  }
  Result<uint64_t> EndOffset(uint32_t partition) override { return log_.EndOffset(partition); }

  void Hold(uint32_t partition) {
    MutexLock lock(mu_);
    hold_ = partition;
  }
  void Release() {
    MutexLock lock(mu_);
    hold_.reset();
    cv_.NotifyAll();
  }
  bool in_hold() {
    MutexLock lock(mu_);
    return in_hold_;
  }
  // Reads of `partition` so far, and the offset of its first read.
  size_t reads_of(uint32_t partition) {
    MutexLock lock(mu_);
    size_t n = 0;
    for (const auto& r : reads_) n += r.first == partition;
    return n;
  }
  std::optional<uint64_t> first_from(uint32_t partition) {
    MutexLock lock(mu_);
    for (const auto& r : reads_) {
      if (r.first == partition) return r.second;
    }
    return std::nullopt;
  }
  void ForgetReads() {
    MutexLock lock(mu_);
    reads_.clear();
  }

 private:
  memory::MemoryLog& log_;
  Mutex mu_;
  CondVar cv_;
  std::vector<std::pair<uint32_t, uint64_t>> reads_ GUARDED_BY(mu_);
  std::optional<uint32_t> hold_ GUARDED_BY(mu_);
  bool in_hold_ GUARDED_BY(mu_) = false;
};

class GroupProcessorTest : public ::testing::Test {
 protected:
  static constexpr uint32_t kPartitions = 4;
  void SetUp() override {
    Election e{"e1", "T", {{"a", "A"}, {"b", "B"}}, ElectionStatus::kDraft, 0, 0, 0};
    ASSERT_TRUE(OpenElection(e, 100).ok());
    ASSERT_TRUE(catalog.Create(e).ok());
  }
  // Voters from..from+n, each voting once ("a" when even), plus a second vote of each of the
  // first `dups` of them.
  void Votes(int from, int n, int dups = 0) {
    for (int i = from; i < from + n; ++i) {
      log.Append({"v" + std::to_string(i), "e1", i % 2 ? "b" : "a", "voter-" + std::to_string(i),
                  150, "n"},
                 [](Status) {});
    }
    for (int i = from; i < from + dups; ++i) {
      log.Append({"d" + std::to_string(i), "e1", "a", "voter-" + std::to_string(i), 150, "n"},
                 [](Status) {});
    }
  }
  bool Processed(uint32_t p) { return *state.NextOffset(p) == *log.EndOffset(p); }
  GroupProcessorOptions Fast() {
    GroupProcessorOptions o;
    o.workers = 2;
    o.linger = milliseconds(1);
    o.idle_poll = milliseconds(2);
    o.commit_interval = milliseconds(0);
    return o;
  }

  memory::MemoryLog log{kPartitions};
  WatchedLog watched{log};
  memory::MemoryProcessorState state;
  memory::MemoryCatalog catalog;
  memory::MemoryReadModel rm;
};

TEST_F(GroupProcessorTest, ProcessesOnlyTheAssignedPartitions) {
  Votes(0, 200);
  TestAssignment group;
  GroupProcessor gp(group, watched, state, catalog, rm, Fast());
  ASSERT_TRUE(gp.Start().ok());
  group.Assign({0, 1});
  ASSERT_TRUE(WaitFor([&] { return Processed(0) && Processed(1); }));
  EXPECT_EQ(gp.owned(), (std::vector<uint32_t>{0, 1}));
  // Workers keep polling their partitions; the others are never read nor decided.
  size_t reads = watched.reads_of(0);
  ASSERT_TRUE(WaitFor([&] { return watched.reads_of(0) > reads + 3; }));
  EXPECT_EQ(watched.reads_of(2) + watched.reads_of(3), 0u);
  EXPECT_EQ(*state.NextOffset(2), 0u);
  EXPECT_EQ(*state.NextOffset(3), 0u);

  group.Assign({2, 3});  // a rebalance gives this process the rest
  ASSERT_TRUE(WaitFor([&] { return Processed(2) && Processed(3); }));
  gp.Stop();
  EXPECT_EQ(gp.totals().counted, 200u);
  OptionCounts want{{"a", 100}, {"b", 100}};
  EXPECT_EQ(rm.Votes("e1"), want);
}

TEST_F(GroupProcessorTest, AnAssignedPartitionResumesFromItsCheckpointNotTheGroupOffset) {
  Votes(0, 100);
  {  // a first process counts partition 1, then goes away
    TestAssignment group;
    GroupProcessor first(group, watched, state, catalog, rm, Fast());
    ASSERT_TRUE(first.Start().ok());
    group.Assign({1});
    ASSERT_TRUE(WaitFor([&] { return Processed(1); }));
    first.Stop();
    EXPECT_EQ(group.committed()[1], *log.EndOffset(1)) << "progress reported to the group";
  }
  const uint64_t checkpoint = *state.NextOffset(1);
  ASSERT_GT(checkpoint, 0u);
  Votes(100, 100);
  watched.ForgetReads();
  // The next owner: the group's offset for partition 1 may be anything (here none at all,
  // as after a crash before the commit); the checkpoint says where to start.
  TestAssignment group;
  GroupProcessor next(group, watched, state, catalog, rm, Fast());
  ASSERT_TRUE(next.Start().ok());
  auto starts = group.Assign({1});
  EXPECT_EQ(starts[1], checkpoint) << "the reader is told to start at the checkpoint";
  ASSERT_TRUE(WaitFor([&] { return Processed(1); }));
  EXPECT_EQ(watched.first_from(1), checkpoint) << "the first read starts at the checkpoint";
  next.Stop();
  // Each vote of partition 1 decided once: counted once, never re-read from offset 0.
  uint64_t in_p1 = 0;
  for (int i = 0; i < 200; ++i) {
    in_p1 += PartitionFor("e1", "voter-" + std::to_string(i), kPartitions) == 1;
  }
  EXPECT_EQ(*state.NextOffset(1), in_p1);
  EXPECT_EQ(rm.Votes("e1")["a"] + rm.Votes("e1")["b"], in_p1);
}

TEST_F(GroupProcessorTest, ARevokedPartitionStopsAfterItsBatchInHand) {
  Votes(0, 100);
  TestAssignment group;
  GroupProcessor gp(group, watched, state, catalog, rm, Fast());
  ASSERT_TRUE(gp.Start().ok());
  watched.Hold(2);  // partition 2's next read blocks: a batch in hand
  group.Assign({0, 1, 2, 3});
  ASSERT_TRUE(WaitFor([&] { return watched.in_hold(); }));
  std::atomic<bool> revoked{false};
  std::thread revoker([&] {
    group.Revoke({2});
    revoked = true;
  });
  // The revocation waits for the batch in hand (the other partitions go on meanwhile).
  ASSERT_TRUE(WaitFor([&] { return Processed(0) && Processed(1) && Processed(3); }));
  EXPECT_FALSE(revoked.load()) << "revocation returned while partition 2's batch was in hand";
  watched.Release();
  revoker.join();
  EXPECT_TRUE(revoked.load());
  EXPECT_EQ(gp.owned(), (std::vector<uint32_t>{0, 1, 3}));
  EXPECT_TRUE(Processed(2)) << "the batch in hand was committed";
  EXPECT_EQ(group.committed()[2], *log.EndOffset(2)) << "and its progress reported on revocation";
  // No read of partition 2 after its revocation, while the others are still polled.
  const size_t reads2 = watched.reads_of(2), reads0 = watched.reads_of(0);
  Votes(100, 40);
  ASSERT_TRUE(WaitFor([&] { return Processed(0) && watched.reads_of(0) > reads0 + 5; }));
  EXPECT_EQ(watched.reads_of(2), reads2);
  gp.Stop();
}

TEST_F(GroupProcessorTest, PartitionsMovingBetweenTwoProcessesCountEachVoteOnce) {
  Votes(0, 300, /*dups=*/50);
  TestAssignment ga, gb;
  GroupProcessor a(ga, watched, state, catalog, rm, Fast());
  GroupProcessor b(gb, watched, state, catalog, rm, Fast());
  ASSERT_TRUE(a.Start().ok());
  ASSERT_TRUE(b.Start().ok());
  ga.Assign({0, 1, 2, 3});
  ASSERT_TRUE(WaitFor([&] { return a.totals().counted > 0; }));
  // B joins: A gives up 2 and 3 (their batches in hand finish), B takes them.
  ga.Revoke({2, 3});
  gb.Assign({2, 3});
  Votes(300, 300, /*dups=*/50);
  // And back: B leaves, A takes everything.
  ASSERT_TRUE(WaitFor([&] { return b.totals().batches > 0; }));
  b.Stop();
  ga.Assign({2, 3});
  Votes(600, 100, /*dups=*/20);
  ASSERT_TRUE(WaitFor([&] {
    for (uint32_t p = 0; p < kPartitions; ++p) {
      if (!Processed(p)) return false;
    }
    return true;
  }));
  a.Stop();
  uint64_t counted = 0, duplicate = 0;
  for (const auto& [id, outcome] : state.outcomes) {
    counted += outcome == Outcome::kCounted;
    duplicate += outcome == Outcome::kDuplicate;
  }
  EXPECT_EQ(counted, 700u);
  EXPECT_EQ(duplicate, 120u);
  EXPECT_EQ(state.outcomes.size(), 820u);
  EXPECT_EQ(rm.Votes("e1")["a"] + rm.Votes("e1")["b"], 700u);
  EXPECT_EQ(a.totals().counted + b.totals().counted, 700u);
}

// A read model that records the lag source the processor gives it (the Redis read model passes
// it on to result servers as heartbeats).
class LagRecordingReadModel : public memory::MemoryReadModel {
 public:
  void SetLagSource(std::function<WriteSideLag()> source) override {
    MutexLock lock(mu_);
    source_ = std::move(source);
  }
  std::optional<WriteSideLag> Ask() {
    MutexLock lock(mu_);
    if (!source_) return std::nullopt;
    return source_();
  }

 private:
  Mutex mu_;
  std::function<WriteSideLag()> source_ GUARDED_BY(mu_);
};

// While started, the processor tells its read model its lag per owned partition, with the log's
// partition count (so a reader can tell a partition nobody processes); not after Stop.
TEST_F(GroupProcessorTest, GivesItsReadModelItsLagPerOwnedPartition) {
  LagRecordingReadModel lrm;
  TestAssignment group;
  GroupProcessor gp(group, watched, state, catalog, lrm, Fast());
  EXPECT_FALSE(lrm.Ask().has_value());
  ASSERT_TRUE(gp.Start().ok());
  group.Assign({1, 3});
  auto lag = lrm.Ask();
  ASSERT_TRUE(lag.has_value());
  EXPECT_EQ(lag->partitions, 4u);
  ASSERT_EQ(lag->lag_ms.size(), 2u);
  EXPECT_TRUE(lag->lag_ms.contains(1) && lag->lag_ms.contains(3));
  // Caught up (idle reads): small lags; a revoked partition is no longer reported.
  Votes(0, 40);
  ASSERT_TRUE(WaitFor([&] { return Processed(1) && Processed(3); }));
  group.Revoke({3});
  lag = lrm.Ask();
  ASSERT_TRUE(lag.has_value());
  EXPECT_EQ(lag->lag_ms.size(), 1u);
  // Caught up moments ago: a lag far below the default stale bound (a clock unit or origin
  // mix-up would show seconds or years).
  EXPECT_LT(lag->lag_ms.at(1), kDefaultStaleAfterMs) << "caught up, yet lagging";
  gp.Stop();
  EXPECT_FALSE(lrm.Ask().has_value());
}

}  // namespace
}  // namespace urna
