#include "ingest/clock_floor.h"

#include <gtest/gtest.h>

#include "adapters/memory/memory_catalog.h"
#include "adapters/memory/memory_vote_log.h"
#include "ports/clock.h"

namespace urna {
namespace {

TEST(LatestTimeOnDiskTest, ElectionTimesAndTheLastEntryOfEachPartition) {
  memory::MemoryCatalog catalog;
  memory::MemoryLog log{2};
  EXPECT_EQ(*LatestTimeOnDisk(catalog, log, 2), 0);  // a new data dir: no floor

  Election e{"e1", "T", {{"a", "A"}}, ElectionStatus::kDraft, 10, 0, 0};
  ASSERT_TRUE(OpenElection(e, 20).ok());
  ASSERT_TRUE(catalog.Create(e).ok());
  EXPECT_EQ(*LatestTimeOnDisk(catalog, log, 2), 20);

  // Votes in both partitions; the latest is the last entry of one of them.
  for (int i = 0; i < 20; ++i) {
    log.Append({"v" + std::to_string(i), "e1", "a", "voter-" + std::to_string(i), 100 + i, "n"},
               [](Status) {});
  }
  EXPECT_EQ(*LatestTimeOnDisk(catalog, log, 2), 119);

  ASSERT_TRUE(CloseElection(e, 500).ok());
  ASSERT_TRUE(catalog.Update(e).ok());
  log.AppendSeal({"e1", 500}, [](Status) {});
  EXPECT_EQ(*LatestTimeOnDisk(catalog, log, 2), 500);
}

// What a restart does with it: the clock never reads before what the data holds.
TEST(LatestTimeOnDiskTest, RaisesTheFloorOfARestartedClock) {
  class StoppedClock : public Clock {
   public:
    int64_t NowMs() const override { return 40; }  // stepped back before the restart
  } wall;
  memory::MemoryCatalog catalog;
  memory::MemoryLog log{1};
  log.Append({"v1", "e1", "a", "alice", 300, "n"}, [](Status) {});
  MonotonicClock clock(wall);
  clock.RaiseFloor(*LatestTimeOnDisk(catalog, log, 1));
  EXPECT_EQ(clock.NowMs(), 300);
  EXPECT_EQ(clock.BehindMs(), 260);
}

}  // namespace
}  // namespace urna
