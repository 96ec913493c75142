#include "adapters/codec/proto_codec.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace urna::codec
