#include "core/tally.h"

#include <gtest/gtest.h>

namespace urna {
namespace {

TEST(TallyTest, CountOfAnOptionNobodyVotedForIsZero) {
  OptionCounts counts{{"a", 3}, {"b", 0}};
  EXPECT_EQ(CountOf(counts, "a"), 3u);
  EXPECT_EQ(CountOf(counts, "b"), 0u);
  EXPECT_EQ(CountOf(counts, "c"), 0u);
  EXPECT_EQ(CountOf({}, "a"), 0u);
  EXPECT_EQ(counts.size(), 2u);  // looking up does not add the option
  EXPECT_EQ(Total(counts), 3u);
}

}  // namespace
}  // namespace urna
