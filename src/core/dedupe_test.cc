#include "core/dedupe.h"

#include <gtest/gtest.h>

namespace urna {
namespace {

Election Open(std::string id) {
  Election e;
  e.id = std::move(id);
  e.title = "T";
  e.options = {{"a", "A"}, {"b", "B"}};
  EXPECT_TRUE(OpenElection(e, 100).ok());
  return e;
}

VoteEvent Vote(std::string vote_id, std::string voter, std::string option = "a",
               std::string election = "e1") {
  return {std::move(vote_id), std::move(election), std::move(option), std::move(voter), 150, "n"};
}

constexpr VotePolicy kOne = VotePolicy::OnePerVoter();

TEST(VoteDedupeTest, FirstVoteOfAVoterCountsLaterOnesPointToIt) {
  auto e = Open("e1");
  VoteDedupe d;
  auto first = d.Decide(&e, Vote("v1", "alice"), nullptr, false, kOne);
  EXPECT_EQ(first.verdict.outcome, Outcome::kCounted);
  EXPECT_TRUE(first.counted_vote_id.empty());
  EXPECT_EQ(d.Decide(&e, Vote("v2", "bob", "b"), nullptr, false, kOne).verdict.outcome,
            Outcome::kCounted);
  auto again = d.Decide(&e, Vote("v3", "alice", "b"), nullptr, false, kOne);
  EXPECT_EQ(again.verdict.outcome, Outcome::kDuplicate);
  EXPECT_EQ(again.counted_vote_id, "v1");
  EXPECT_TRUE(again.verdict.reason.empty());
}

TEST(VoteDedupeTest, AVoteCountedBeforeTheBatchMakesTheFirstOfTheBatchADuplicate) {
  auto e = Open("e1");
  VoteDedupe d;
  PriorVotes prior{1, "v0"};
  auto dup = d.Decide(&e, Vote("v1", "alice"), &prior, false, kOne);
  EXPECT_EQ(dup.verdict.outcome, Outcome::kDuplicate);
  EXPECT_EQ(dup.counted_vote_id, "v0");
  // The voter's later votes see the same counted vote (prior is read once per voter).
  auto dup2 = d.Decide(&e, Vote("v2", "alice"), nullptr, false, kOne);
  EXPECT_EQ(dup2.counted_vote_id, "v0");
  // An empty prior (looked up, nothing counted) lets the first vote count.
  PriorVotes none;
  EXPECT_EQ(d.Decide(&e, Vote("v3", "bob"), &none, false, kOne).verdict.outcome, Outcome::kCounted);
}

TEST(VoteDedupeTest, ARejectedVoteDoesNotUseUpTheVoterSVote) {
  auto e = Open("e1");
  VoteDedupe d;
  auto bad = d.Decide(&e, Vote("v1", "alice", "zzz"), nullptr, false, kOne);
  EXPECT_EQ(bad.verdict.outcome, Outcome::kRejected);
  EXPECT_EQ(bad.verdict.reason, kReasonUnknownOption);
  EXPECT_EQ(d.Decide(&e, Vote("v2", "alice"), nullptr, false, kOne).verdict.outcome,
            Outcome::kCounted);
  // Behind the seal: rejected closed, and still not a counted vote.
  auto late = d.Decide(&e, Vote("v3", "bob"), nullptr, true, kOne);
  EXPECT_EQ(late.verdict.reason, kReasonElectionClosed);
  EXPECT_EQ(
      d.Decide(nullptr, Vote("v4", "carol", "a", "nope"), nullptr, false, kOne).verdict.reason,
      kReasonUnknownElection);
}

TEST(VoteDedupeTest, AVoterCountsOncePerElection) {
  auto e1 = Open("e1");
  auto e2 = Open("e2");
  VoteDedupe d;
  EXPECT_EQ(d.Decide(&e1, Vote("v1", "alice"), nullptr, false, kOne).verdict.outcome,
            Outcome::kCounted);
  EXPECT_EQ(d.Decide(&e2, Vote("v2", "alice", "a", "e2"), nullptr, false, kOne).verdict.outcome,
            Outcome::kCounted);
  EXPECT_EQ(d.Decide(&e1, Vote("v4", "alice"), nullptr, false, kOne).verdict.outcome,
            Outcome::kDuplicate);
}

TEST(VoteDedupeTest, APolicyOfUpToNCountsTheFirstNOfAVoter) {
  auto e = Open("e1");
  VoteDedupe d;
  const VotePolicy three{3};
  PriorVotes prior{1, "v0"};  // one counted before the batch
  auto second = d.Decide(&e, Vote("v1", "alice"), &prior, false, three);
  EXPECT_EQ(second.verdict.outcome, Outcome::kCounted);
  EXPECT_EQ(second.ordinal, 2u);  // its ledger row: the voter's second
  EXPECT_EQ(d.Decide(&e, Vote("v2", "alice", "zzz"), nullptr, false, three).verdict.outcome,
            Outcome::kRejected);  // does not use one up
  EXPECT_EQ(d.Decide(&e, Vote("v3", "alice", "b"), nullptr, false, three).ordinal, 3u);
  auto fourth = d.Decide(&e, Vote("v4", "alice"), nullptr, false, three);
  EXPECT_EQ(fourth.verdict.outcome, Outcome::kDuplicate);
  EXPECT_EQ(fourth.counted_vote_id, "v0");
  EXPECT_EQ(fourth.ordinal, 0u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(
        d.Decide(&e, Vote("b" + std::to_string(i), "bob"), nullptr, false, three).verdict.outcome,
        Outcome::kCounted);
  }
  EXPECT_EQ(d.Decide(&e, Vote("b3", "bob"), nullptr, false, three).counted_vote_id, "b0");
}

TEST(VoteDedupeTest, AnUnlimitedPolicyCountsEveryValidVote) {
  auto e = Open("e1");
  VoteDedupe d;
  const VotePolicy unlimited{0};
  EXPECT_TRUE(unlimited.Unlimited());
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(
        d.Decide(&e, Vote(std::to_string(i), "alice"), nullptr, false, unlimited).verdict.outcome,
        Outcome::kCounted);
  }
}

TEST(VoteDedupeTest, WithoutCitingItDecidesTheSameFates) {
  auto e = Open("e1");
  VoteDedupe d(/*cite_counted_vote=*/false);
  EXPECT_EQ(d.Decide(&e, Vote("v1", "alice"), nullptr, false, kOne).verdict.outcome,
            Outcome::kCounted);
  auto dup = d.Decide(&e, Vote("v2", "alice"), nullptr, false, kOne);
  EXPECT_EQ(dup.verdict.outcome, Outcome::kDuplicate);
  EXPECT_TRUE(dup.counted_vote_id.empty());
}

TEST(VotePolicyTest, ThePolicyIsTheElectionsVotesPerVoter) {
  auto e = Open("e1");
  EXPECT_EQ(VotePolicyOf(&e).max_per_voter, 1u);  // the default
  EXPECT_EQ(VotePolicyOf(nullptr).max_per_voter, 1u);
  e.votes_per_voter = 3;
  EXPECT_EQ(VotePolicyOf(&e).max_per_voter, 3u);
  e.votes_per_voter = kUnlimitedVotes;
  EXPECT_TRUE(VotePolicyOf(&e).Unlimited());
  EXPECT_TRUE(kOne.AllowsAnother(0));
  EXPECT_FALSE(kOne.AllowsAnother(1));
}

}  // namespace
}  // namespace urna
