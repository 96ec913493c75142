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
  EXPECT_EQ(DecideVote(&e, Vote("a", 150), false, false).outcome, Outcome::kCounted);
  EXPECT_EQ(DecideVote(&e, Vote("a", 150), true, false).outcome, Outcome::kDuplicate);
  // A duplicate stays a duplicate even when it is also invalid.
  EXPECT_EQ(DecideVote(&e, Vote("zzz", 150), true, false).outcome, Outcome::kDuplicate);
}

TEST(DecideVoteTest, RejectsWithReasons) {
  auto e = OpenAt(100);
  auto v = DecideVote(&e, Vote("zzz", 150), false, false);
  EXPECT_EQ(v.outcome, Outcome::kRejected);
  EXPECT_EQ(v.reason, kReasonUnknownOption);
  v = DecideVote(nullptr, Vote("a", 150), false, false);
  EXPECT_EQ(v.reason, kReasonUnknownElection);
  Election draft = e;
  draft.status = ElectionStatus::kDraft;
  draft.opened_at_ms = 0;
  EXPECT_EQ(DecideVote(&draft, Vote("a", 150), false, false).reason, kReasonElectionNotOpen);
  // Behind the seal in its partition: closed, whatever its ingest time.
  ASSERT_TRUE(CloseElection(e, 200).ok());
  EXPECT_EQ(DecideVote(&e, Vote("a", 199), false, true).reason, kReasonElectionClosed);
  EXPECT_EQ(DecideVote(&e, Vote("a", 199), true, true).outcome, Outcome::kDuplicate);
}

// "Before the close" is the seal's place in the log, not the clock: a vote ahead of the seal
// counts even when its ingest time is after closed_at or before opened_at (the wall clock
// stepped back), and the decision is the same while the election is open and after its close.
TEST(DecideVoteTest, IngestTimeDoesNotDecide) {
  auto open = OpenAt(100);
  auto closed = open;
  ASSERT_TRUE(CloseElection(closed, 200).ok());
  for (int64_t t : {50, 100, 150, 200, 201, 5000}) {
    EXPECT_EQ(DecideVote(&open, Vote("a", t), false, false).outcome, Outcome::kCounted) << t;
    EXPECT_EQ(DecideVote(&closed, Vote("a", t), false, false).outcome, Outcome::kCounted) << t;
    EXPECT_EQ(DecideVote(&closed, Vote("a", t), false, true).reason, kReasonElectionClosed) << t;
  }
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
  EXPECT_EQ(CheckVoteAdmissible(draft, "a").code(), Code::kNotOpen);
  auto e = OpenAt(100);
  EXPECT_TRUE(CheckVoteAdmissible(e, "a").ok());
  EXPECT_EQ(CheckVoteAdmissible(e, "nope").code(), Code::kUnknownOption);
  ASSERT_TRUE(CloseElection(e, 200).ok());
  EXPECT_EQ(CheckVoteAdmissible(e, "a").code(), Code::kNotOpen);
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
