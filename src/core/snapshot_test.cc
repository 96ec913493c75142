#include "core/snapshot.h"

#include <gtest/gtest.h>

namespace urna {
namespace {

TEST(SnapshotTest, OptionsInElectionOrderWithTotals) {
  Election e;
  e.id = "e1";
  e.options = {{"b", "Beta"}, {"a", "Alpha"}, {"c", "Gamma"}};
  e.status = ElectionStatus::kOpen;
  ElectionTally t;
  t.votes = {{"a", 3}, {"b", 5}, {"ghost", 7}};  // unknown options are not shown or summed
  t.seq = 42;
  t.updated_at_ms = 99;
  auto s = BuildSnapshot(e, t);
  ASSERT_EQ(s.options.size(), 3u);
  EXPECT_EQ(s.options[0].id, "b");
  EXPECT_EQ(s.options[0].votes, 5u);
  EXPECT_EQ(s.options[1].votes, 3u);
  EXPECT_EQ(s.options[2].votes, 0u);
  EXPECT_EQ(s.total, 8u);
  EXPECT_EQ(s.seq, 42u);
  EXPECT_FALSE(s.final);
  EXPECT_FALSE(s.stale);
  t.stale = true;
  EXPECT_TRUE(BuildSnapshot(e, t).stale);
  e.status = ElectionStatus::kClosed;
  EXPECT_TRUE(BuildSnapshot(e, t).stale);  // closed: late votes may still be counted
  e.status = ElectionStatus::kFinal;
  EXPECT_TRUE(BuildSnapshot(e, t).final);
}

// Final results are never stale: the count is complete once an election is final, and after
// election day the processors are stopped (their lag or silence would otherwise mark the final
// results "may be out of date" for ever).
TEST(SnapshotTest, FinalIsNeverStale) {
  Election e;
  e.id = "e1";
  e.options = {{"a", "Alpha"}};
  e.status = ElectionStatus::kFinal;
  ElectionTally t;
  t.votes = {{"a", 3}};
  t.seq = 3;
  t.stale = true;
  auto s = BuildSnapshot(e, t);
  EXPECT_TRUE(s.final);
  EXPECT_FALSE(s.stale);
  EXPECT_EQ(s.options[0].votes, 3u);
}

TEST(SnapshotTest, HiddenUntilFinalShowsOnlyTheTotal) {
  Election e;
  e.id = "e1";
  e.options = {{"a", "Alpha"}, {"b", "Beta"}};
  e.status = ElectionStatus::kClosed;
  e.results_visibility = ResultsVisibility::kHiddenUntilClosed;
  ElectionTally t;
  t.votes = {{"a", 3}, {"b", 5}};
  auto s = BuildSnapshot(e, t);
  EXPECT_TRUE(s.hidden);
  EXPECT_EQ(s.total, 8u);
  for (const auto& o : s.options) EXPECT_EQ(o.votes, 0u);
  e.status = ElectionStatus::kFinal;
  s = BuildSnapshot(e, t);
  EXPECT_FALSE(s.hidden);
  EXPECT_EQ(s.options[1].votes, 5u);
}

TEST(SnapshotTest, HiddenTurnoutShowsNothingThatMovesWithVotes) {
  Election e;
  e.id = "e1";
  e.options = {{"a", "Alpha"}};
  e.status = ElectionStatus::kOpen;
  e.results_visibility = ResultsVisibility::kHiddenUntilClosed;
  e.turnout_visibility = TurnoutVisibility::kHidden;
  ElectionTally t;
  t.votes = {{"a", 3}};
  t.seq = 17;
  t.updated_at_ms = 99;
  t.stale = true;  // a lagging processor would tell that votes are arriving
  auto s = BuildSnapshot(e, t);
  EXPECT_FALSE(s.stale);
  EXPECT_TRUE(s.hidden);
  EXPECT_TRUE(s.turnout_hidden);
  EXPECT_EQ(s.total, 0u);
  EXPECT_EQ(s.seq, 0u);
  EXPECT_EQ(s.updated_at_ms, 0);
  EXPECT_EQ(s.options[0].votes, 0u);
  e.status = ElectionStatus::kFinal;  // the final result shows everything
  s = BuildSnapshot(e, t);
  EXPECT_FALSE(s.turnout_hidden);
  EXPECT_EQ(s.total, 3u);
  EXPECT_EQ(s.seq, 17u);
  EXPECT_EQ(s.options[0].votes, 3u);
  EXPECT_FALSE(s.stale);  // final: never stale
}

}  // namespace
}  // namespace urna
