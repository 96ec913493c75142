#include "ingest/ingest_service.h"

#include <gtest/gtest.h>

#include "adapters/memory/memory_admission.h"
#include "adapters/memory/memory_catalog.h"
#include "adapters/memory/memory_vote_log.h"
#include "core/uuid7.h"

namespace urna {
namespace {

class FixedClock : public Clock {
 public:
  int64_t NowMs() const override { return now; }
  int64_t now = 1000;
};

class IngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Election e{"e1", "T", {{"a", "A"}}, ElectionStatus::kDraft, 0, 0, 0};
    ASSERT_TRUE(catalog.Create(e).ok());
  }
  Result<std::string> Cast(std::string election, std::string option) {
    Result<std::string> out = Status(Code::kInternal, "not called");
    ingest.CastVote(election, "alice", option, [&](Result<std::string> r) { out = std::move(r); });
    return out;
  }
  void Open() {
    Election e = **catalog.Get("e1");
    ASSERT_TRUE(OpenElection(e, 500).ok());
    ASSERT_TRUE(catalog.Update(e).ok());
  }
  memory::MemoryCatalog catalog;
  memory::MemoryLog log{2};
  FixedClock clock;
  memory::MemoryAdmission admission;
  IngestService ingest{catalog, log, clock, "node-a", admission};
};

TEST_F(IngestTest, AcceptsOnlyWhenDurableAndStampsTheVote) {
  Open();
  auto r = Cast("e1", "a");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(IsUuid7(*r));
  EXPECT_EQ(Uuid7Millis(*r), 1000);
  size_t n = 0;
  for (uint32_t p = 0; p < 2; ++p) {
    auto entries = log.Read(p, 0, 10, {});
    for (auto& e : *entries) {
      EXPECT_EQ(e.vote.vote_id, *r);
      EXPECT_EQ(e.vote.voter_id, "alice");
      EXPECT_EQ(e.vote.ingest_node, "node-a");
      EXPECT_EQ(e.vote.ingest_time_ms, 1000);
      ++n;
    }
  }
  EXPECT_EQ(n, 1u);
  log.fail_appends = true;
  EXPECT_EQ(Cast("e1", "a").status().code(), Code::kUnavailable);
}

TEST_F(IngestTest, RefusesWithoutAppending) {
  EXPECT_EQ(Cast("e1", "a").status().code(), Code::kNotOpen);
  Open();
  EXPECT_EQ(Cast("e1", "zzz").status().code(), Code::kUnknownOption);
  EXPECT_EQ(Cast("nope", "a").status().code(), Code::kNotFound);
  for (uint32_t p = 0; p < 2; ++p) EXPECT_TRUE(log.Read(p, 0, 10, {})->empty());
}

// Every vote, admitted or refused, enters the admission once and leaves it before CastVote
// returns, so a close never waits on a vote that is done.
TEST_F(IngestTest, EveryVoteLeavesTheAdmission) {
  EXPECT_EQ(Cast("e1", "a").status().code(), Code::kNotOpen);
  Open();
  EXPECT_TRUE(Cast("e1", "a").ok());
  EXPECT_EQ(Cast("e1", "zzz").status().code(), Code::kUnknownOption);
  EXPECT_EQ(admission.given(), 3);
  EXPECT_EQ(admission.out(), 0);
}

// When the admission refuses (a distributed node whose lease ran out), the vote gets that
// answer and nothing is appended.
TEST_F(IngestTest, AVoteTheAdmissionRefusesIsNotAppended) {
  Open();
  admission.Refuse(Status(Code::kUnavailable, "no lease"));
  auto r = Cast("e1", "a");
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  EXPECT_EQ(r.status().message(), "no lease");
  for (uint32_t p = 0; p < 2; ++p) EXPECT_TRUE(log.Read(p, 0, 10, {})->empty());
  admission.Refuse(Status::Ok());
  EXPECT_TRUE(Cast("e1", "a").ok());
}

}  // namespace
}  // namespace urna
