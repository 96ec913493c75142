#include "processor/processor.h"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <thread>

#include "adapters/memory/memory_catalog.h"
#include "adapters/memory/memory_processor_state.h"
#include "adapters/memory/memory_read_model.h"
#include "adapters/memory/memory_vote_log.h"

namespace urna {
namespace {

using std::chrono::milliseconds;

// Waits for `done` to hold, up to a generous deadline (the workers poll every few ms).
bool WaitFor(const std::function<bool()>& done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(milliseconds(2));
  }
  return true;
}

class ProcessorRunTest : public ::testing::Test {
 protected:
  static constexpr uint32_t kPartitions = 4;
  void SetUp() override {
    Election e{"e1", "T", {{"a", "A"}, {"b", "B"}}, ElectionStatus::kDraft, 0, 0, 0};
    ASSERT_TRUE(OpenElection(e, 100).ok());
    ASSERT_TRUE(catalog.Create(e).ok());
  }
  // `n` voters, voter i votes "a" when i is even, "b" otherwise; spread over the partitions.
  void Votes(int from, int n) {
    for (int i = from; i < from + n; ++i) {
      log.Append({"v" + std::to_string(i), "e1", i % 2 ? "b" : "a", "voter-" + std::to_string(i),
                  150, "n"},
                 [](Status) {});
    }
  }
  bool Decided(const std::string& vote_id) {
    auto r = state.FindReceipt(vote_id);
    return r.ok() && r->has_value();
  }
  ProcessorOptions Fast(int workers) { return {workers, milliseconds(1), milliseconds(2)}; }
  memory::MemoryLog log{kPartitions};
  memory::MemoryProcessorState state;
  memory::MemoryCatalog catalog;
  memory::MemoryReadModel rm;
};

TEST_F(ProcessorRunTest, WorkersProcessEveryPartitionAndTotalsAddUp) {
  Votes(0, 200);
  log.Append({"dup", "e1", "a", "voter-3", 150, "n"}, [](Status) {});  // voter-3 voted "b"
  log.Append({"bad", "e1", "zzz", "voter-new", 150, "n"}, [](Status) {});
  Processor p(kPartitions, log, state, catalog, rm, Fast(2));
  p.Start();
  ASSERT_TRUE(WaitFor([&] { return p.totals().processed_offsets == 202; }))
      << p.totals().processed_offsets;
  auto t = p.totals();
  EXPECT_EQ(t.counted, 200u);
  EXPECT_EQ(t.duplicate, 1u);
  EXPECT_EQ(t.rejected, 1u);
  EXPECT_GE(t.batches, static_cast<uint64_t>(kPartitions));  // one at least per partition
  EXPECT_EQ((*state.FindReceipt("dup"))->counted_vote_id, "v3");
  OptionCounts expected{{"a", 100}, {"b", 100}};
  EXPECT_TRUE(WaitFor([&] { return rm.Votes("e1") == expected; }));
  for (uint32_t part = 0; part < kPartitions; ++part) {
    EXPECT_EQ(*state.NextOffset(part), *log.EndOffset(part)) << "partition " << part;
  }
  p.Stop();
  p.Stop();  // a second Stop is harmless
}

TEST_F(ProcessorRunTest, MoreWorkersThanPartitionsStillProcessEachOnce) {
  Votes(0, 40);
  Processor p(kPartitions, log, state, catalog, rm, Fast(16));
  p.Start();
  ASSERT_TRUE(WaitFor([&] { return p.totals().processed_offsets == 40; }));
  Votes(40, 40);  // votes arriving while the workers run
  ASSERT_TRUE(WaitFor([&] { return p.totals().processed_offsets == 80; }));
  EXPECT_EQ(p.totals().counted, 80u);
  EXPECT_EQ(Total(rm.Votes("e1")), 80u);
}

// Start restores the committed tallies into a fresh read model before any new vote arrives, so
// results are complete at start-up (what a restart of `urna serve` relies on).
TEST_F(ProcessorRunTest, StartPublishesTheCommittedTalliesOfEveryPartition) {
  Votes(0, 50);
  {
    Processor first(kPartitions, log, state, catalog, rm, Fast(2));
    first.Start();
    ASSERT_TRUE(WaitFor([&] { return first.totals().processed_offsets == 50; }));
  }
  memory::MemoryReadModel fresh;
  Processor again(kPartitions, log, state, catalog, fresh, Fast(2));
  again.Start();
  EXPECT_EQ(fresh.Votes("e1"), (OptionCounts{{"a", 25}, {"b", 25}}));
  EXPECT_EQ(again.totals().processed_offsets, 50u);  // resumes after what was committed
  EXPECT_EQ(again.totals().counted, 0u);             // and counts nothing twice
}

// A state store that fails: the workers keep retrying (with a capped backoff) and count each
// vote once when it is back, without a restart.
TEST_F(ProcessorRunTest, FailingCommitsAreRetriedUntilTheStoreRecovers) {
  state.fail_commits = true;
  Votes(0, 20);
  Processor p(kPartitions, log, state, catalog, rm, Fast(2));
  p.Start();
  std::this_thread::sleep_for(milliseconds(100));  // some failed rounds (not a timing check)
  EXPECT_EQ(p.totals().processed_offsets, 0u);
  EXPECT_FALSE(Decided("v0"));
  state.fail_commits = false;
  ASSERT_TRUE(WaitFor([&] { return p.totals().processed_offsets == 20; }));
  EXPECT_EQ(p.totals().counted, 20u);
  EXPECT_TRUE(WaitFor([&] { return Total(rm.Votes("e1")) == 20; }));
  EXPECT_EQ(Total(rm.Votes("e1")), 20u);
}

// The lag that marks results stale (docs/architecture.md §4): 0 while every durable entry is
// counted (even with no worker running), growing while entries wait, 0 again once counted.
TEST_F(ProcessorRunTest, LagGrowsWhileDurableVotesWaitAndEndsOnceCounted) {
  Processor p(kPartitions, log, state, catalog, rm, Fast(1));
  EXPECT_EQ(p.LagMs(), 0);
  Votes(0, 20);
  ASSERT_TRUE(WaitFor([&] { return p.LagMs() >= 50; })) << p.LagMs();  // no worker yet
  p.Start();
  ASSERT_TRUE(WaitFor([&] { return p.LagMs() == 0; })) << p.LagMs();
  EXPECT_EQ(p.totals().processed_offsets, 20u);
  // Failing commits: the new votes wait, the lag grows, and ends when the store is back.
  state.fail_commits = true;
  Votes(20, 8);
  ASSERT_TRUE(WaitFor([&] { return p.LagMs() >= 50; })) << p.LagMs();
  state.fail_commits = false;
  ASSERT_TRUE(WaitFor([&] { return p.LagMs() == 0; })) << p.LagMs();
  EXPECT_EQ(p.totals().processed_offsets, 28u);
}

// The lag is measured from the last read that reached the partition's end, not from the start:
// a processor that kept up while idle shows a small lag for a vote that arrives now.
TEST_F(ProcessorRunTest, IdlePollsKeepTheLagFromTheLastCatchUp) {
  const int64_t built = SteadyNowMs();
  Processor p(kPartitions, log, state, catalog, rm, Fast(1));
  p.Start();
  Votes(0, 4);
  ASSERT_TRUE(WaitFor([&] { return p.totals().processed_offsets == 4; }));
  while (SteadyNowMs() < built + 200) std::this_thread::sleep_for(milliseconds(10));
  state.fail_commits = true;  // the next vote waits
  Votes(4, 1);
  // Idle reads after the start moved the catch-up time past `built` (without them the lag
  // would be counted from the start, at least 200 ms).
  EXPECT_TRUE(WaitFor([&] { return p.LagMs() > 0 && p.LagMs() < SteadyNowMs() - built - 100; }))
      << p.LagMs();
  state.fail_commits = false;
  ASSERT_TRUE(WaitFor([&] { return p.LagMs() == 0; }));
}

}  // namespace
}  // namespace urna
