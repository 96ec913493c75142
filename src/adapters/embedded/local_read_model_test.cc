#include "adapters/embedded/local_read_model.h"

#include <gtest/gtest.h>

#include "adapters/embedded/test_dir.h"

namespace urna::embedded {
namespace {

class FixedClock : public Clock {
 public:
  int64_t NowMs() const override { return now; }
  int64_t now = 1234;
};

PartitionTally Update(uint32_t p, uint64_t next, uint64_t a, uint64_t b) {
  PartitionTally t;
  t.partition = p;
  t.next_offset = next;
  t.elections["e1"] = {{"a", a}, {"b", b}};
  return t;
}

TEST(LocalReadModelTest, MergesPartitionsAndFencesOldUpdates) {
  FixedClock clock;
  LocalReadModel rm(clock);
  EXPECT_EQ(rm.Get("e1")->seq, 0u);
  ASSERT_TRUE(rm.Apply(Update(0, 10, 3, 1)).ok());
  ASSERT_TRUE(rm.Apply(Update(1, 5, 2, 0)).ok());
  auto t = rm.Get("e1");
  EXPECT_EQ(t->votes["a"], 5u);
  EXPECT_EQ(t->votes["b"], 1u);
  EXPECT_EQ(t->seq, 15u);
  EXPECT_EQ(t->updated_at_ms, 1234);
  // A stale (replayed) update of partition 0 is ignored.
  ASSERT_TRUE(rm.Apply(Update(0, 8, 1, 0)).ok());
  EXPECT_EQ(rm.Get("e1")->votes["a"], 5u);
  // A newer one replaces, and seq grows.
  ASSERT_TRUE(rm.Apply(Update(0, 12, 4, 1)).ok());
  EXPECT_EQ(rm.Get("e1")->votes["a"], 6u);
  EXPECT_EQ(rm.Get("e1")->seq, 17u);
}

TEST(LocalReadModelTest, UpdatedAtMovesOnlyWhenTheCountsChange) {
  FixedClock clock;
  LocalReadModel rm(clock);
  ASSERT_TRUE(rm.Apply(Update(0, 10, 3, 1)).ok());
  clock.now = 2000;
  ASSERT_TRUE(rm.Apply(Update(1, 5, 2, 0)).ok());
  EXPECT_EQ(rm.Get("e1")->updated_at_ms, 2000);  // the latest change of any partition
  clock.now = 3000;
  ASSERT_TRUE(rm.Apply(Update(0, 11, 3, 1)).ok());  // a seal only: the same counts
  EXPECT_EQ(rm.Get("e1")->updated_at_ms, 2000);
  ASSERT_TRUE(rm.Apply(Update(0, 12, 4, 1)).ok());
  EXPECT_EQ(rm.Get("e1")->updated_at_ms, 3000);
}

TEST(LocalReadModelTest, UpdatedAtSurvivesARestartThatLoadsTheSameCounts) {
  TempDir dir;
  FixedClock clock;
  {
    auto db = EmbeddedDb::Open(dir.str(), 2);
    ASSERT_TRUE(db.ok()) << db.status().message();
    LocalReadModel rm(clock, db->get());
    ASSERT_TRUE(rm.Apply(Update(0, 10, 3, 1)).ok());
    clock.now = 2000;
    ASSERT_TRUE(rm.Apply(Update(1, 5, 2, 0)).ok());
  }
  clock.now = 9000;  // the restart
  auto db = EmbeddedDb::Open(dir.str(), 2);
  ASSERT_TRUE(db.ok()) << db.status().message();
  LocalReadModel rm(clock, db->get());
  // The processor loads each partition's counts, at their present next offsets (later than
  // the ones of the election's last change: other elections moved them).
  ASSERT_TRUE(rm.Apply(Update(0, 40, 3, 1)).ok());
  EXPECT_EQ(rm.Get("e1")->updated_at_ms, 1234);
  ASSERT_TRUE(rm.Apply(Update(1, 50, 2, 0)).ok());
  EXPECT_EQ(rm.Get("e1")->updated_at_ms, 2000);
  // A new vote moves it, and that time is kept in turn.
  ASSERT_TRUE(rm.Apply(Update(1, 51, 2, 1)).ok());
  EXPECT_EQ(rm.Get("e1")->updated_at_ms, 9000);
  // Counts that differ from the stored ones (a crash lost the stored time) are stamped now.
  LocalReadModel other(clock, db->get());
  clock.now = 9500;
  ASSERT_TRUE(other.Apply(Update(0, 41, 5, 1)).ok());
  EXPECT_EQ(other.Get("e1")->updated_at_ms, 9500);
}

}  // namespace
}  // namespace urna::embedded
