#include "adapters/embedded/local_read_model.h"

#include <gtest/gtest.h>

namespace urna::embedded {
namespace {

class FixedClock : public Clock {
 public:
  int64_t NowMs() const override { return 1234; }
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

}  // namespace
}  // namespace urna::embedded
