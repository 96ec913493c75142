#include "core/dedupe.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

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

// The flat table (dedupe.cc) must tell every voter apart by its full ids, whatever the hash.

TEST(VoteDedupeTableTest, VotersWithSharedPrefixesAndLengthsAreNeverConfused) {
  auto e = Open("e1");
  VoteDedupe d;
  // Prefixes of each other ("a", "aa", ...), same length differing in the last byte, and ids
  // that differ only past the first 8 or 16 bytes.
  std::vector<std::string> voters;
  for (int n = 1; n <= 40; ++n) voters.push_back(std::string(n, 'a'));
  for (int i = 0; i < 5000; ++i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "voter-%06d", i);
    voters.push_back(buf);
    voters.push_back(std::string("0123456789abcdef-") + buf);
  }
  for (size_t i = 0; i < voters.size(); ++i) {
    auto d1 = d.Decide(&e, Vote("c" + std::to_string(i), voters[i]), nullptr, false, kOne);
    ASSERT_EQ(d1.verdict.outcome, Outcome::kCounted) << voters[i];
  }
  EXPECT_EQ(d.voters(), voters.size());
  for (size_t i = 0; i < voters.size(); ++i) {
    auto dup = d.Decide(&e, Vote("d" + std::to_string(i), voters[i]), nullptr, false, kOne);
    ASSERT_EQ(dup.verdict.outcome, Outcome::kDuplicate) << voters[i];
    ASSERT_EQ(dup.counted_vote_id, "c" + std::to_string(i)) << voters[i];
  }
  EXPECT_EQ(d.voters(), voters.size());
}

TEST(VoteDedupeTableTest, TheElectionBoundaryIsPartOfTheVoter) {
  auto a = Open("a");
  auto ab = Open("ab");
  VoteDedupe d;
  // election "a", voter "bc" and election "ab", voter "c": one string "a\0bc" vs "ab\0c".
  EXPECT_EQ(d.Decide(&a, Vote("v1", "bc", "a", "a"), nullptr, false, kOne).verdict.outcome,
            Outcome::kCounted);
  EXPECT_EQ(d.Decide(&ab, Vote("v2", "c", "a", "ab"), nullptr, false, kOne).verdict.outcome,
            Outcome::kCounted);
  // Even with NUL bytes inside the ids (no valid id has them; the table compares the ids apart,
  // not one joined key): election "a\0b", voter "c" vs election "a", voter "b\0c".
  const std::string a_nul_b("a\0b", 3), b_nul_c("b\0c", 3);
  auto odd = Open(a_nul_b);
  EXPECT_EQ(d.Decide(&odd, Vote("v3", "c", "a", a_nul_b), nullptr, false, kOne).verdict.outcome,
            Outcome::kCounted);
  EXPECT_EQ(d.Decide(&a, Vote("v4", b_nul_c, "a", "a"), nullptr, false, kOne).verdict.outcome,
            Outcome::kCounted);
  EXPECT_EQ(d.voters(), 4u);
  EXPECT_EQ(d.Decide(&ab, Vote("v5", "c", "a", "ab"), nullptr, false, kOne).counted_vote_id, "v2");
  EXPECT_EQ(d.Decide(&a, Vote("v6", "bc", "a", "a"), nullptr, false, kOne).counted_vote_id, "v1");
  EXPECT_EQ(d.Decide(&a, Vote("v7", b_nul_c, "a", "a"), nullptr, false, kOne).counted_vote_id,
            "v4");
}

TEST(VoteDedupeTableTest, TheLimitOfNHoldsForEachOfManyVoters) {
  auto e = Open("e1");
  VoteDedupe d;
  const VotePolicy three{3};
  constexpr int kVoters = 3000;
  // Five rounds over all voters: the first three count (ordinals 1-3), the rest are duplicates
  // citing the first.
  for (int round = 0; round < 5; ++round) {
    for (int i = 0; i < kVoters; ++i) {
      const std::string voter = "voter-" + std::to_string(i);
      auto v =
          d.Decide(&e, Vote(std::to_string(round) + "/" + voter, voter), nullptr, false, three);
      if (round < 3) {
        ASSERT_EQ(v.verdict.outcome, Outcome::kCounted);
        ASSERT_EQ(v.ordinal, static_cast<uint64_t>(round + 1));
      } else {
        ASSERT_EQ(v.verdict.outcome, Outcome::kDuplicate);
        ASSERT_EQ(v.counted_vote_id, "0/" + voter);
      }
    }
  }
}

TEST(VoteDedupeTableTest, ACountedVoteIdStaysValidThroughManyMoreVoters) {
  auto e = Open("e1");
  VoteDedupe d;  // nothing reserved: the table rehashes many times below
  std::string long_id(200, 'x');
  ASSERT_EQ(d.Decide(&e, Vote(long_id, "alice"), nullptr, false, kOne).verdict.outcome,
            Outcome::kCounted);
  std::string_view cited = d.Decide(&e, Vote("v2", "alice"), nullptr, false, kOne).counted_vote_id;
  // A prior's vote id is copied: the prior may be gone before the duplicate is read.
  std::string_view from_prior;
  {
    PriorVotes prior{1, std::string(100, 'p')};
    from_prior = d.Decide(&e, Vote("v3", "bob"), &prior, false, kOne).counted_vote_id;
  }
  for (int i = 0; i < 200000; ++i) {
    d.Decide(&e, Vote("w" + std::to_string(i), "voter-" + std::to_string(i)), nullptr, false, kOne);
  }
  EXPECT_EQ(cited, long_id);
  EXPECT_EQ(from_prior, std::string(100, 'p'));
  EXPECT_EQ(d.Decide(&e, Vote("v4", "alice"), nullptr, false, kOne).counted_vote_id.data(),
            cited.data());
  EXPECT_EQ(d.voters(), 200002u);
}

TEST(VoteDedupeTableTest, ClearForgetsEveryVoterAndTheTableIsReused) {
  auto e1 = Open("e1");
  auto e2 = Open("e2");
  VoteDedupe d;
  d.Reserve(1000);
  for (int round = 0; round < 3; ++round) {
    // Elections seen in another order each round: their indices change after Clear.
    const Election& first = round % 2 ? e2 : e1;
    const Election& second = round % 2 ? e1 : e2;
    for (int i = 0; i < 5000; ++i) {
      const std::string voter = "voter-" + std::to_string(i);
      for (const Election* e : {&first, &second}) {
        auto v = d.Decide(e, Vote(e->id + voter, voter, "a", e->id), nullptr, false, kOne);
        ASSERT_EQ(v.verdict.outcome, Outcome::kCounted) << round << " " << voter;
      }
    }
    EXPECT_EQ(d.voters(), 10000u);
    auto dup = d.Decide(&e2, Vote("x", "voter-7", "a", "e2"), nullptr, false, kOne);
    EXPECT_EQ(dup.counted_vote_id, "e2voter-7");
    d.Clear();
    EXPECT_EQ(d.voters(), 0u);
  }
  // After Clear a prior is read again on the voter's first vote.
  PriorVotes prior{1, "old"};
  EXPECT_EQ(d.Decide(&e1, Vote("y", "voter-7"), &prior, false, kOne).counted_vote_id, "old");
}

// Differential: random votes (short voter ids from a small alphabet, so prefixes and lengths
// collide; several elections and policies; priors; rejected votes; Clear now and then) decided
// by VoteDedupe and by a plain map model of the rule.
TEST(VoteDedupeTableTest, DecidesAsAPlainMapModelOnRandomVotes) {
  std::vector<Election> elections = {Open("e"), Open("e1"), Open("ee"), Open("e\x01")};
  elections[1].votes_per_voter = 2;
  elections[2].votes_per_voter = kUnlimitedVotes;
  elections[3].votes_per_voter = 3;
  std::mt19937_64 rng(20261201);
  for (bool cite : {true, false}) {
    VoteDedupe d(cite);
    struct Model {
      uint64_t counted = 0;
      std::string first;
    };
    std::map<std::pair<std::string, std::string>, Model> model;
    for (int i = 0; i < 200000; ++i) {
      if (rng() % 20000 == 0) {
        d.Clear();
        model.clear();
      }
      const Election& e = elections[rng() % elections.size()];
      std::string voter(1 + rng() % 4, 'a');
      for (char& c : voter) c = static_cast<char>('a' + rng() % 3);
      const std::string option = rng() % 10 == 0 ? "zzz" : "a";
      const VoteEvent vote = Vote("v" + std::to_string(i), voter, option, e.id);
      const bool behind_seal = rng() % 50 == 0;
      PriorVotes prior{rng() % 3, ""};
      if (prior.counted > 0) prior.first_vote_id = "p-" + voter;
      const bool give_prior = rng() % 4 == 0;

      auto [it, fresh] = model.try_emplace({e.id, voter});
      Model& m = it->second;
      if (fresh && give_prior) m = {prior.counted, prior.first_vote_id};
      const VotePolicy policy = VotePolicyOf(&e);
      const Verdict want = DecideVote(&e, vote, !policy.AllowsAnother(m.counted), behind_seal);
      uint64_t want_ordinal = 0;
      std::string want_cited;
      if (want.outcome == Outcome::kCounted) {
        if (m.counted++ == 0 && cite) m.first = vote.vote_id;
        want_ordinal = m.counted;
      } else if (want.outcome == Outcome::kDuplicate) {
        want_cited = m.first;
      }

      auto got = d.Decide(&e, vote, give_prior ? &prior : nullptr, behind_seal, policy);
      ASSERT_EQ(got.verdict.outcome, want.outcome) << i;
      ASSERT_EQ(got.verdict.reason, want.reason) << i;
      ASSERT_EQ(got.ordinal, want_ordinal) << i;
      ASSERT_EQ(got.counted_vote_id, want_cited) << i;
      ASSERT_EQ(d.voters(), model.size()) << i;
    }
  }
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
