#include "adapters/codec/proto_codec.h"

#include <gtest/gtest.h>

#include <random>

#include "urna/v1/election.pb.h"
#include "urna/v1/vote.pb.h"

namespace urna::codec {
namespace {

TEST(ProtoCodecTest, ElectionRoundTripKeepsVisibility) {
  Election e{"e1", "T", {{"a", "A"}}, ElectionStatus::kOpen, 1, 2, 0};
  e.results_visibility = ResultsVisibility::kHiddenUntilClosed;
  for (auto tv : {TurnoutVisibility::kHidden, TurnoutVisibility::kPublic}) {
    e.turnout_visibility = tv;
    auto d = DecodeElection(EncodeElection(e));
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->results_visibility, ResultsVisibility::kHiddenUntilClosed);
    EXPECT_EQ(d->turnout_visibility, tv);
    EXPECT_EQ(d->options[0].label, "A");
  }
}

TEST(ProtoCodecTest, EntriesWrittenBeforeTurnoutVisibilityHideItWithHiddenResults) {
  urna::v1::Election p;
  p.set_id("old");
  p.set_status("open");
  p.set_results_visibility("hidden_until_closed");
  auto d = DecodeElection(p.SerializeAsString());
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->turnout_visibility, TurnoutVisibility::kHidden);
  p.set_results_visibility("live");
  d = DecodeElection(p.SerializeAsString());
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->turnout_visibility, TurnoutVisibility::kPublic);
}

// policy: votes_per_voter survives the catalog, and entries written before it count one vote.
TEST(ProtoCodecTest, ElectionRoundTripKeepsVotesPerVoter) {
  Election e{"e1", "T", {{"a", "A"}}, ElectionStatus::kOpen, 1, 2, 0};
  for (uint32_t n : {1u, 3u, kMaxVotesPerVoter, kUnlimitedVotes}) {
    e.votes_per_voter = n;
    auto d = DecodeElection(EncodeElection(e));
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->votes_per_voter, n);
  }
  urna::v1::Election p;
  p.set_id("old");
  p.set_status("open");
  auto d = DecodeElection(p.SerializeAsString());
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->votes_per_voter, 1u);
}

TEST(ProtoCodecTest, ElectionRoundTripKeepsBotProtection) {
  Election e{"e1", "T", {{"a", "A"}}, ElectionStatus::kOpen, 1, 2, 0};
  e.bot_protection = BotProtection::kPow;
  e.pow_max_number = 250000;
  auto d = DecodeElection(EncodeElection(e));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->bot_protection, BotProtection::kPow);
  EXPECT_EQ(d->pow_max_number, 250000u);
  urna::v1::Election old;  // written before the field existed
  old.set_id("old");
  old.set_status("open");
  d = DecodeElection(old.SerializeAsString());
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->bot_protection, BotProtection::kNone);
  old.set_bot_protection("captcha");
  EXPECT_FALSE(DecodeElection(old.SerializeAsString()).ok());
}

// schedule
TEST(ProtoCodecTest, ElectionRoundTripKeepsSchedule) {
  Election e{"e1", "T", {{"a", "A"}}, ElectionStatus::kDraft, 1, 0, 0};
  e.opens_at_ms = 1893456000000;
  e.closes_at_ms = 1893459600123;
  auto d = DecodeElection(EncodeElection(e));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->opens_at_ms, 1893456000000);
  EXPECT_EQ(d->closes_at_ms, 1893459600123);
  urna::v1::Election old;  // written before the fields existed: not scheduled
  old.set_id("old");
  old.set_status("draft");
  d = DecodeElection(old.SerializeAsString());
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->opens_at_ms, 0);
  EXPECT_EQ(d->closes_at_ms, 0);
}

TEST(ProtoCodecTest, ReceiptKeepsReasonAndCountedVoteApart) {
  Receipt dup{"v2", "e1", "alice", "b", Outcome::kDuplicate, "", 150, "v1"};
  auto d = DecodeReceipt(EncodeReceipt(dup));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->outcome, Outcome::kDuplicate);
  EXPECT_EQ(d->counted_vote_id, "v1");
  EXPECT_EQ(d->reason, "");
  Receipt rej{"v3", "e1", "bob", "zzz", Outcome::kRejected, "unknown_option", 150, ""};
  d = DecodeReceipt(EncodeReceipt(rej));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->reason, "unknown_option");
  EXPECT_EQ(d->counted_vote_id, "");
}

// Receipts stored before counted_vote_id existed put a duplicate's counted vote in `reason`.
TEST(ProtoCodecTest, DuplicateReceiptsWrittenBeforeCountedVoteIdReadTheSame) {
  urna::v1::Receipt old;
  old.set_vote_id("v2");
  old.set_outcome(urna::v1::Receipt::DUPLICATE);
  old.set_reason("v1");
  auto d = DecodeReceipt(old.SerializeAsString());
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->counted_vote_id, "v1");
  EXPECT_EQ(d->reason, "");
  old.set_outcome(urna::v1::Receipt::REJECTED);  // a rejected one keeps its reason
  old.set_reason("election_closed");
  d = DecodeReceipt(old.SerializeAsString());
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->reason, "election_closed");
  EXPECT_EQ(d->counted_vote_id, "");
}

VoteEvent SampleVote() {
  return {"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
          "e1",
          "opt-\xc3\xa9",
          "voter\x01\x00x",
          1'700'000'000'123,
          "node-a"};
}

void ExpectSameVote(const VoteEvent& a, const VoteEvent& b) {
  EXPECT_EQ(a.vote_id, b.vote_id);
  EXPECT_EQ(a.election_id, b.election_id);
  EXPECT_EQ(a.option_id, b.option_id);
  EXPECT_EQ(a.voter_id, b.voter_id);
  EXPECT_EQ(a.ingest_time_ms, b.ingest_time_ms);
  EXPECT_EQ(a.ingest_node, b.ingest_node);
}

TEST(ProtoCodecTest, VoteAndSealRecordsRoundTrip) {
  VoteEvent v = SampleVote();
  std::string bytes = EncodeVoteRecord(v);
  auto d = DecodeVoteRecord(bytes);
  ASSERT_TRUE(d.ok()) << d.status().message();
  ExpectSameVote(*d, v);
  auto any = DecodeLogRecord(bytes);
  ASSERT_TRUE(any.ok());
  ASSERT_TRUE(any->vote.has_value());
  EXPECT_FALSE(any->seal.has_value());
  ExpectSameVote(*any->vote, v);

  std::string seal = EncodeSealRecord({"e1", -5});  // any int64 survives, negative included
  auto s = DecodeLogRecord(seal);
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(s->seal.has_value());
  EXPECT_FALSE(s->vote.has_value());
  EXPECT_EQ(s->seal->election_id, "e1");
  EXPECT_EQ(s->seal->closed_at_ms, -5);
  // A seal is not a vote: the vote-only decoder refuses it rather than return an empty vote.
  EXPECT_EQ(DecodeVoteRecord(seal).status().code(), Code::kInternal);
  // The per-thread message reused by the decoders carries nothing over to the next record.
  d = DecodeVoteRecord(EncodeVoteRecord({"id2", "e2", "b", "w", 1, ""}));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->ingest_node, "");
  EXPECT_EQ(d->voter_id, "w");
}

TEST(ProtoCodecTest, TruncatedOrEmptyLogRecordsAreErrors) {
  std::string bytes = EncodeVoteRecord(SampleVote());
  // Every strict prefix cuts the vote message short (or is empty): never a vote with fields
  // silently missing.
  for (size_t n = 0; n < bytes.size(); ++n) {
    std::string_view prefix(bytes.data(), n);
    EXPECT_FALSE(DecodeVoteRecord(prefix).ok()) << "prefix of " << n << " bytes";
    EXPECT_FALSE(DecodeLogRecord(prefix).ok()) << "prefix of " << n << " bytes";
  }
  EXPECT_EQ(DecodeLogRecord("").status().code(), Code::kInternal);
  EXPECT_EQ(DecodeLogRecord("\xff\xff\xff").status().code(), Code::kInternal);
}

TEST(ProtoCodecTest, CorruptBytesNeverCrashAndDecodeOnlyToValidValues) {
  std::mt19937 rng(42);
  Receipt r{"vid", "e1", "alice", "a", Outcome::kCounted, "", 7, ""};
  Election e{"e1", "T", {{"a", "A"}, {"b", "B"}}, ElectionStatus::kClosed, 1, 2, 3};
  const std::string inputs[] = {EncodeVoteRecord(SampleVote()), EncodeSealRecord({"e1", 9}),
                                EncodeReceipt(r), EncodeElection(e)};
  for (const auto& original : inputs) {
    for (int i = 0; i < 2000; ++i) {
      std::string bytes = original;
      for (int flips = 1 + static_cast<int>(rng() % 3); flips > 0; --flips) {
        bytes[rng() % bytes.size()] ^= static_cast<char>(1 << (rng() % 8));
      }
      (void)DecodeVoteRecord(bytes);
      (void)DecodeLogRecord(bytes);
      if (auto d = DecodeReceipt(bytes); d.ok()) {
        int o = static_cast<int>(d->outcome);
        EXPECT_TRUE(o >= 0 && o <= static_cast<int>(Outcome::kRejected)) << o;
      }
      if (auto d = DecodeElection(bytes); d.ok()) {
        EXPECT_FALSE(ToString(d->status).empty());
      }
    }
  }
}

TEST(ProtoCodecTest, ReceiptRoundTripsEveryOutcome) {
  for (auto o : {Outcome::kPending, Outcome::kCounted, Outcome::kDuplicate, Outcome::kRejected}) {
    Receipt r{"vid",   "e1",
              "alice", "b",
              o,       o == Outcome::kRejected ? "unknown_option" : "",
              99,      o == Outcome::kDuplicate ? "v0" : ""};
    auto d = DecodeReceipt(EncodeReceipt(r));
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->vote_id, "vid");
    EXPECT_EQ(d->election_id, "e1");
    EXPECT_EQ(d->voter_id, "alice");
    EXPECT_EQ(d->option_id, "b");
    EXPECT_EQ(d->outcome, o);
    EXPECT_EQ(d->reason, r.reason);
    EXPECT_EQ(d->counted_vote_id, r.counted_vote_id);
    EXPECT_EQ(d->ingest_time_ms, 99);
  }
}

// An outcome number no version of urna wrote (a corrupt or foreign value) is an error, not an
// Outcome outside the enum that every switch over it would mishandle.
TEST(ProtoCodecTest, ReceiptWithAnUnknownOutcomeIsAnError) {
  urna::v1::Receipt p;
  p.set_vote_id("vid");
  p.set_outcome(static_cast<urna::v1::Receipt::Outcome>(7));
  auto d = DecodeReceipt(p.SerializeAsString());
  EXPECT_EQ(d.status().code(), Code::kInternal);
  EXPECT_FALSE(DecodeReceipt("\x0a\x05"
                             "ab")
                   .ok())
      << "a truncated string field";
}

TEST(ProtoCodecTest, ElectionRoundTripKeepsEveryField) {
  Election e{"e1", "Title \xe2\x9c\x93", {{"a", "A"}, {"b", "B b"}}, ElectionStatus::kFinal, 11, 22,
             33};
  e.finalized_at_ms = 44;
  auto d = DecodeElection(EncodeElection(e));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->id, "e1");
  EXPECT_EQ(d->title, e.title);
  ASSERT_EQ(d->options.size(), 2u);
  EXPECT_EQ(d->options[1].id, "b");
  EXPECT_EQ(d->options[1].label, "B b");
  EXPECT_EQ(d->status, ElectionStatus::kFinal);
  EXPECT_EQ(d->created_at_ms, 11);
  EXPECT_EQ(d->opened_at_ms, 22);
  EXPECT_EQ(d->closed_at_ms, 33);
  EXPECT_EQ(d->finalized_at_ms, 44);
  urna::v1::Election p;
  p.set_id("x");
  p.set_status("paused");
  EXPECT_EQ(DecodeElection(p.SerializeAsString()).status().code(), Code::kInternal);
  EXPECT_EQ(DecodeElection("\x0a\x09"
                           "e1")
                .status()
                .code(),
            Code::kInternal);  // truncated
}

}  // namespace
}  // namespace urna::codec
