#include "ingest/ingest_service.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <thread>
#include <vector>

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
  // A cast whose answer may come later (from the log's completion): what it was answered, and
  // how many times.
  struct Answer {
    std::atomic<int> calls{0};
    Result<std::string> result = Status(Code::kInternal, "not answered");
  };
  std::shared_ptr<Answer> CastLater(std::string voter) {
    auto a = std::make_shared<Answer>();
    ingest.CastVote("e1", voter, "a", [a](Result<std::string> r) {
      a->result = std::move(r);
      a->calls.fetch_add(1);
    });
    return a;
  }
  // vote_id -> voter of every vote durable in the log.
  std::map<std::string, std::string> Durable() {
    std::map<std::string, std::string> out;
    for (uint32_t p = 0; p < log.partitions(); ++p) {
      auto entries = log.Read(p, 0, 1u << 20, {});  // kept: the loop reads into it
      for (auto& e : *entries) out[e.vote.vote_id] = e.vote.voter_id;
    }
    return out;
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

// G1: a vote is accepted (the route answers 202) only once the log says it is durable.
TEST_F(IngestTest, NoAcceptanceBeforeTheAppendCompletes) {
  Open();
  log.Hold();
  auto a = CastLater("alice");
  EXPECT_EQ(a->calls.load(), 0) << "answered before the log completed the append";
  EXPECT_EQ(log.held(), 1u);
  EXPECT_TRUE(Durable().empty());
  log.Release();
  ASSERT_EQ(a->calls.load(), 1);
  ASSERT_TRUE(a->result.ok()) << a->result.status().message();
  auto durable = Durable();
  ASSERT_EQ(durable.size(), 1u);
  EXPECT_EQ(durable.count(*a->result), 1u) << "the accepted vote_id is the durable one";
}

// G1: appends lost before they were durable (a crash) were never accepted.
TEST_F(IngestTest, AppendsLostBeforeTheyWereDurableWereNeverAccepted) {
  Open();
  log.Hold();
  std::vector<std::shared_ptr<Answer>> answers;
  for (auto v : {"alice", "bob", "carol"}) answers.push_back(CastLater(v));
  EXPECT_EQ(log.DropHeld(), 3u);
  for (auto& a : answers) EXPECT_EQ(a->calls.load(), 0);
  EXPECT_TRUE(Durable().empty());
  auto after = CastLater("dave");  // the log works again: accepted at once
  ASSERT_EQ(after->calls.load(), 1);
  EXPECT_TRUE(after->result.ok());
}

// G1: a failed write answers kUnavailable (503) with the log's reason, stores nothing, and
// loses none of the votes accepted around it.
TEST_F(IngestTest, AFailedWriteIsRefusedAndLosesNoAcceptedVote) {
  Open();
  auto before = CastLater("alice");
  log.FailNextAppends(1);
  auto failed = CastLater("bob");
  auto after = CastLater("carol");
  ASSERT_EQ(failed->calls.load(), 1);
  EXPECT_EQ(failed->result.status().code(), Code::kUnavailable);
  EXPECT_EQ(failed->result.status().message(), "log down");
  ASSERT_TRUE(before->result.ok());
  ASSERT_TRUE(after->result.ok());
  auto durable = Durable();
  EXPECT_EQ(durable, (std::map<std::string, std::string>{{*before->result, "alice"},
                                                         {*after->result, "carol"}}));

  log.Hold();  // a write of several votes that fails as a whole (a failed fsync)
  auto x = CastLater("xavier"), y = CastLater("yves");
  log.FailHeld(Status(Code::kUnavailable, "fsync failed"));
  for (auto& a : {x, y}) {
    ASSERT_EQ(a->calls.load(), 1);
    EXPECT_EQ(a->result.status().code(), Code::kUnavailable);
    EXPECT_EQ(a->result.status().message(), "fsync failed");
  }
  EXPECT_EQ(Durable(), durable);
}

// G1 under concurrency: threads cast while the log completes, fails and loses batches at
// random. Each cast is answered at most once; every accepted vote_id is durable, and no vote
// answered with an error is.
TEST_F(IngestTest, UnderRacingFaultsEveryAcceptedVoteIsDurable) {
  Open();
  constexpr int kThreads = 4, kPer = 300;
  std::vector<std::vector<std::shared_ptr<Answer>>> answers(kThreads);
  std::atomic<int> casting{kThreads};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPer; ++i) {
        answers[t].push_back(CastLater("v" + std::to_string(t) + "-" + std::to_string(i)));
      }
      casting.fetch_sub(1);
    });
  }
  size_t dropped = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (int round = 0; casting.load() > 0 && std::chrono::steady_clock::now() < deadline; ++round) {
    log.Hold();
    std::this_thread::yield();
    switch (round % 4) {
      case 0:
        log.FailHeld(Status(Code::kUnavailable, "fsync failed"));
        break;
      case 1:
        dropped += log.DropHeld();
        break;
      case 2:
        log.FailNextAppends(1);
        [[fallthrough]];
      default:
        log.Release();
    }
  }
  for (auto& th : threads) th.join();
  log.Release();
  auto durable = Durable();
  size_t accepted = 0, refused = 0, unanswered = 0;
  for (auto& per_thread : answers) {
    for (auto& a : per_thread) {
      int calls = a->calls.load();
      ASSERT_LE(calls, 1) << "a cast answered twice";
      if (calls == 0) {
        ++unanswered;
      } else if (a->result.ok()) {
        ++accepted;
        EXPECT_EQ(durable.count(*a->result), 1u) << "accepted but not durable: " << *a->result;
      } else {
        ++refused;
        EXPECT_EQ(a->result.status().code(), Code::kUnavailable);
      }
    }
  }
  EXPECT_EQ(unanswered, dropped) << "only votes lost in a crash go unanswered";
  EXPECT_EQ(accepted, durable.size()) << "nothing durable that was not accepted";
  EXPECT_EQ(accepted + refused + unanswered, size_t{kThreads * kPer});
}

}  // namespace
}  // namespace urna
