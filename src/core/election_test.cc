#include "core/election.h"

#include <gtest/gtest.h>

#include "core/schedule_limits.h"

namespace urna {
namespace {

Election Valid() {
  Election e;
  e.id = "final-2026";
  e.title = "Grand final";
  e.options = {{"a", "Alpha"}, {"b", "Beta"}};
  return e;
}

TEST(ElectionTest, ValidElectionPasses) { EXPECT_TRUE(ValidateNewElection(Valid()).ok()); }

TEST(ElectionTest, RejectsBadIdsEmptyOptionsAndDuplicates) {
  auto e = Valid();
  e.id = "has space";
  EXPECT_EQ(ValidateNewElection(e).code(), Code::kInvalidArgument);
  e = Valid();
  e.id = std::string(65, 'x');
  EXPECT_EQ(ValidateNewElection(e).code(), Code::kInvalidArgument);
  e = Valid();
  e.options.clear();
  EXPECT_EQ(ValidateNewElection(e).code(), Code::kInvalidArgument);
  e = Valid();
  e.options.push_back({"a", "Again"});
  auto s = ValidateNewElection(e);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_NE(s.message().find("duplicate option id"), std::string::npos);
  e = Valid();
  e.title = "";
  EXPECT_EQ(ValidateNewElection(e).code(), Code::kInvalidArgument);
  e = Valid();
  e.options[0].label = "";
  EXPECT_EQ(ValidateNewElection(e).code(), Code::kInvalidArgument);
}

TEST(ElectionTest, ProofOfWorkDifficultyIsBounded) {
  auto e = Valid();
  e.bot_protection = BotProtection::kPow;
  EXPECT_EQ(ValidateNewElection(e).code(), Code::kInvalidArgument) << "pow needs a difficulty";
  e.pow_max_number = kDefaultPowMaxNumber;
  EXPECT_TRUE(ValidateNewElection(e).ok());
  e.pow_max_number = kMaxPowMaxNumber + 1;
  EXPECT_EQ(ValidateNewElection(e).code(), Code::kInvalidArgument);
  e.bot_protection = BotProtection::kNone;
  e.pow_max_number = 1000;
  EXPECT_EQ(ValidateNewElection(e).code(), Code::kInvalidArgument) << "a difficulty needs pow";
  EXPECT_EQ(ParseBotProtection("pow"), BotProtection::kPow);
  EXPECT_EQ(ParseBotProtection("none"), BotProtection::kNone);
  EXPECT_FALSE(ParseBotProtection("captcha").has_value());
}

// policy: votes_per_voter is 1-kMaxVotesPerVoter, or unlimited with proof of work only.
TEST(ElectionTest, VotesPerVoterIsBoundedAndUnlimitedNeedsProofOfWork) {
  auto e = Valid();
  EXPECT_EQ(e.votes_per_voter, 1u);
  e.votes_per_voter = kMaxVotesPerVoter;
  EXPECT_TRUE(ValidateNewElection(e).ok());
  e.votes_per_voter = kMaxVotesPerVoter + 1;
  EXPECT_EQ(ValidateNewElection(e).code(), Code::kInvalidArgument);
  e.votes_per_voter = kUnlimitedVotes;
  auto s = ValidateNewElection(e);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_NE(s.message().find("bot_protection \"pow\""), std::string::npos) << s.message();
  e.bot_protection = BotProtection::kPow;
  e.pow_max_number = kDefaultPowMaxNumber;
  EXPECT_TRUE(ValidateNewElection(e).ok());
}

TEST(ElectionTest, DotAndDotDotAreNotIds) {
  EXPECT_FALSE(IsValidId("."));
  EXPECT_FALSE(IsValidId(".."));
  EXPECT_FALSE(IsValidId("..", 128));
  EXPECT_TRUE(IsValidId("..."));  // not a path step
  EXPECT_TRUE(IsValidId(".a"));
  EXPECT_TRUE(IsValidId("a.b"));
  auto e = Valid();
  e.id = "..";
  EXPECT_EQ(ValidateNewElection(e).code(), Code::kInvalidArgument);
  e = Valid();
  e.id = ".";
  EXPECT_EQ(ValidateNewElection(e).code(), Code::kInvalidArgument);
  e = Valid();
  e.options[1].id = "..";
  EXPECT_EQ(ValidateNewElection(e).code(), Code::kInvalidArgument);
}

TEST(ElectionTest, OptionIdsCannotStartLikeASpreadsheetFormula) {
  for (const char* id : {"-1", "-a", "--x", "-"}) {
    auto e = Valid();
    e.options[0].id = id;
    auto s = ValidateNewElection(e);
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << id;
    EXPECT_NE(s.message().find("formula"), std::string::npos) << s.message();
  }
  auto e = Valid();
  e.options[0].id = "a-1";  // a dash inside is fine
  EXPECT_TRUE(ValidateNewElection(e).ok());
  for (char c : {'=', '+', '-', '@', '\t', '\r'}) EXPECT_TRUE(IsFormulaLead(c)) << c;
  for (char c : {'a', '0', '_', '.', ' '}) EXPECT_FALSE(IsFormulaLead(c)) << c;
}

TEST(ElectionTest, TurnoutVisibility) {
  auto e = Valid();
  EXPECT_FALSE(e.HidesTurnout());  // live results show the turnout
  e.turnout_visibility = TurnoutVisibility::kHidden;
  EXPECT_EQ(ValidateNewElection(e).code(), Code::kInvalidArgument);  // contradicts live results
  e.results_visibility = ResultsVisibility::kHiddenUntilClosed;
  EXPECT_TRUE(ValidateNewElection(e).ok());
  for (auto st : {ElectionStatus::kDraft, ElectionStatus::kOpen, ElectionStatus::kClosed}) {
    e.status = st;
    EXPECT_TRUE(e.HidesTurnout());
  }
  e.status = ElectionStatus::kFinal;
  EXPECT_FALSE(e.HidesTurnout());
  e.status = ElectionStatus::kOpen;
  e.turnout_visibility = TurnoutVisibility::kPublic;
  EXPECT_FALSE(e.HidesTurnout());
  for (auto v : {TurnoutVisibility::kHidden, TurnoutVisibility::kPublic}) {
    EXPECT_EQ(ParseTurnoutVisibility(ToString(v)), v);
  }
  EXPECT_FALSE(ParseTurnoutVisibility("sometimes"));
}

TEST(ElectionTest, LifeCycle) {
  auto e = Valid();
  EXPECT_FALSE(e.AcceptsVotes());
  EXPECT_FALSE(e.WasOpened());
  EXPECT_EQ(CloseElection(e, 50).code(), Code::kConflict);  // draft cannot close
  ASSERT_TRUE(OpenElection(e, 100).ok());
  EXPECT_EQ(e.status, ElectionStatus::kOpen);
  EXPECT_TRUE(OpenElection(e, 150).ok());  // idempotent, keeps the first opening time
  EXPECT_EQ(e.opened_at_ms, 100);
  EXPECT_TRUE(e.AcceptsVotes());
  EXPECT_TRUE(e.WasOpened());
  ASSERT_TRUE(CloseElection(e, 200).ok());
  EXPECT_FALSE(e.AcceptsVotes());
  EXPECT_TRUE(e.WasOpened());
  EXPECT_EQ(OpenElection(e, 300).code(), Code::kConflict);  // never reopened
  EXPECT_TRUE(CloseElection(e, 300).ok());
  EXPECT_EQ(e.closed_at_ms, 200);
}

// The recount and the ledger export wait for the close: refused while draft or open, with a
// message that says so; allowed once closed or final.
TEST(ElectionTest, RecountAndExportNeedTheElectionClosed) {
  auto e = Valid();
  auto s = CheckClosedFor(e, "the recount");
  EXPECT_EQ(s.code(), Code::kConflict);
  EXPECT_EQ(s.message(), "election is draft; the recount needs it closed");
  ASSERT_TRUE(OpenElection(e, 100).ok());
  EXPECT_EQ(CheckClosedFor(e, "the ledger export").code(), Code::kConflict);
  ASSERT_TRUE(CloseElection(e, 200).ok());
  EXPECT_TRUE(CheckClosedFor(e, "the recount").ok());
  ASSERT_TRUE(FinalizeElection(e, 300).ok());
  EXPECT_TRUE(CheckClosedFor(e, "the ledger export").ok());
}

// A clock read on another node, or before a restart, may be behind: the election's own times
// stay in life-cycle order all the same.
TEST(ElectionTest, TimesStayOrderedWhenTheClockStepsBack) {
  auto e = Valid();
  ASSERT_TRUE(OpenElection(e, 1000).ok());
  ASSERT_TRUE(CloseElection(e, 400).ok());
  EXPECT_EQ(e.closed_at_ms, 1000);
  ASSERT_TRUE(FinalizeElection(e, 300).ok());
  EXPECT_EQ(e.finalized_at_ms, 1000);
}

TEST(ElectionTest, StatusStrings) {
  for (auto s : {ElectionStatus::kDraft, ElectionStatus::kOpen, ElectionStatus::kClosed,
                 ElectionStatus::kFinal}) {
    EXPECT_EQ(ParseElectionStatus(ToString(s)), s);
  }
  EXPECT_FALSE(ParseElectionStatus("paused"));
}

// schedule
TEST(ElectionTest, ScheduleTimesMustBeAheadAndInOrder) {
  Election e = Valid();
  EXPECT_TRUE(ValidateSchedule(e, 1000).ok());  // not scheduled
  e.opens_at_ms = 2000;
  e.closes_at_ms = 3000;
  EXPECT_TRUE(ValidateSchedule(e, 1000).ok());
  auto s = ValidateSchedule(e, 2000);  // opens_at is now: not in the future
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_NE(s.message().find("opens_at"), std::string::npos);
  e.opens_at_ms = 0;  // a scheduled close alone (opened by hand)
  EXPECT_TRUE(ValidateSchedule(e, 2000).ok());
  s = ValidateSchedule(e, 3000);
  EXPECT_NE(s.message().find("closes_at must be in the future"), std::string::npos);
  e.opens_at_ms = 3000;  // closes_at == opens_at
  s = ValidateSchedule(e, 1000);
  EXPECT_NE(s.message().find("closes_at must be at least 1 s after opens_at"), std::string::npos);
  e.opens_at_ms = 5000;
  EXPECT_FALSE(ValidateSchedule(e, 1000).ok());
}

// Explicit limits: neither time more than kMaxScheduleAheadMs (366 days) after now, and a
// voting window of at least kMinVotingWindowMs (1 s) between opens_at and closes_at.
TEST(ElectionTest, ScheduleHasAnUpperBoundAndAMinimumWindow) {
  constexpr int64_t kNow = 1'800'000'000'000;
  constexpr int64_t kDay = 24 * 3600 * 1000;
  static_assert(kMaxScheduleAheadMs == 366 * kDay);
  static_assert(kMinVotingWindowMs == 1000);
  Election e = Valid();
  e.opens_at_ms = kNow + kMaxScheduleAheadMs - kMinVotingWindowMs;  // the latest window
  e.closes_at_ms = kNow + kMaxScheduleAheadMs;
  EXPECT_TRUE(ValidateSchedule(e, kNow).ok());
  e.closes_at_ms = kNow + kMaxScheduleAheadMs + 1;
  auto s = ValidateSchedule(e, kNow);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_NE(s.message().find("closes_at must be at most 366 days ahead"), std::string::npos);
  e.closes_at_ms = 0;
  e.opens_at_ms = kNow + kMaxScheduleAheadMs + 1;
  s = ValidateSchedule(e, kNow);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_NE(s.message().find("opens_at must be at most 366 days ahead"), std::string::npos);
  // 9999-12-31T23:59:59Z, the reviewer's example.
  e.opens_at_ms = 253'402'300'799'000;
  EXPECT_FALSE(ValidateSchedule(e, kNow).ok());
  e.opens_at_ms = 0;
  e.closes_at_ms = 253'402'300'799'000;
  EXPECT_FALSE(ValidateSchedule(e, kNow).ok());
  // A 1 ms window, and 999 ms, are refused; 1 s is the least.
  e.opens_at_ms = kNow + 5000;
  for (int64_t window : {1, 999}) {
    e.closes_at_ms = e.opens_at_ms + window;
    s = ValidateSchedule(e, kNow);
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << window;
    EXPECT_NE(s.message().find("closes_at must be at least 1 s after opens_at"), std::string::npos);
  }
  e.closes_at_ms = e.opens_at_ms + kMinVotingWindowMs;
  EXPECT_TRUE(ValidateSchedule(e, kNow).ok());
}

// A draft whose closes_at has passed is not opened (by hand or otherwise): it would take no
// votes, since the scheduler closes it at once. kConflict naming closes_at; nothing changes.
TEST(ElectionTest, ADraftIsNotOpenedOnceItsClosesAtHasPassed) {
  Election e = Valid();
  e.opens_at_ms = 1000;
  e.closes_at_ms = 2000;
  Election before = e;
  for (int64_t now : {2000, 9000}) {
    auto s = OpenElection(e, now);
    EXPECT_EQ(s.code(), Code::kConflict) << now;
    EXPECT_NE(s.message().find("closes_at has passed"), std::string::npos) << s.message();
    EXPECT_EQ(e.status, ElectionStatus::kDraft);
    EXPECT_EQ(e.opened_at_ms, before.opened_at_ms);
  }
  ASSERT_TRUE(OpenElection(e, 1999).ok());  // before closes_at (even before opens_at): opens
  EXPECT_EQ(e.status, ElectionStatus::kOpen);
  EXPECT_TRUE(OpenElection(e, 5000).ok());  // an open election is returned as is
  EXPECT_EQ(e.opened_at_ms, 1999);
  Election unscheduled = Valid();
  EXPECT_TRUE(OpenElection(unscheduled, 9000).ok());
}

// admin: only a draft is edited (id, status, created_at kept; the spec validated) or deleted;
// only a final election is archived, once.
TEST(ElectionTest, EditDeleteAndArchiveFollowTheStatus) {
  Election e = Valid();
  e.created_at_ms = 5;
  e.catalog_version = 7;
  Election spec = Valid();
  spec.title = "New title";
  spec.options = {{"x", "Xis"}};
  spec.created_at_ms = 99;
  ASSERT_TRUE(EditDraftElection(e, spec).ok());
  EXPECT_EQ(e.title, "New title");
  EXPECT_EQ(e.options.size(), 1u);
  EXPECT_EQ(e.created_at_ms, 5);
  EXPECT_EQ(e.catalog_version, 7u);
  spec.id = "other";
  EXPECT_EQ(EditDraftElection(e, spec).code(), Code::kInvalidArgument);
  spec.id = e.id;
  spec.title = "";
  EXPECT_EQ(EditDraftElection(e, spec).code(), Code::kInvalidArgument);
  EXPECT_EQ(e.title, "New title");  // a refused edit changes nothing
  EXPECT_TRUE(CheckDeletable(e).ok());
  EXPECT_EQ(ArchiveElection(e, 10).code(), Code::kConflict);

  ASSERT_TRUE(OpenElection(e, 10).ok());
  spec.title = "Late";
  EXPECT_EQ(EditDraftElection(e, spec).code(), Code::kConflict);
  EXPECT_EQ(CheckDeletable(e).code(), Code::kConflict);
  EXPECT_EQ(ArchiveElection(e, 11).code(), Code::kConflict);
  ASSERT_TRUE(CloseElection(e, 20).ok());
  EXPECT_EQ(ArchiveElection(e, 21).code(), Code::kConflict);
  ASSERT_TRUE(FinalizeElection(e, 30).ok());
  EXPECT_EQ(CheckDeletable(e).code(), Code::kConflict);
  ASSERT_TRUE(ArchiveElection(e, 25).ok());
  EXPECT_EQ(e.archived_at_ms, 30);  // never before finalized_at
  ASSERT_TRUE(ArchiveElection(e, 50).ok());
  EXPECT_EQ(e.archived_at_ms, 30);  // archiving again changes nothing
}

}  // namespace
}  // namespace urna
