#include "adapters/codec/proto_codec.h"

#include <gtest/gtest.h>

#include "urna/v1/election.pb.h"

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

}  // namespace
}  // namespace urna::codec
