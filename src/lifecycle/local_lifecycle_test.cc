#include "lifecycle/local_lifecycle.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <set>
#include <thread>

#include "adapters/memory/memory_catalog.h"
#include "adapters/memory/memory_vote_log.h"
#include "ingest/ingest_service.h"

namespace urna {
namespace {

class FixedClock : public Clock {
 public:
  int64_t NowMs() const override { return now; }
  std::atomic<int64_t> now{1000};
};

// The seals in each partition of `log`, in log order.
std::vector<std::vector<SealMarker>> Seals(memory::MemoryLog& log) {
  std::vector<std::vector<SealMarker>> out(log.partitions());
  for (uint32_t p = 0; p < log.partitions(); ++p) {
    auto entries = log.Read(p, 0, SIZE_MAX, {});
    for (const auto& entry : *entries) {
      if (entry.seal) out[p].push_back(*entry.seal);
    }
  }
  return out;
}

size_t SealCount(memory::MemoryLog& log) {
  size_t n = 0;
  for (const auto& p : Seals(log)) n += p.size();
  return n;
}

class LocalLifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(catalog.Create({"e", "T", {{"a", "A"}}, ElectionStatus::kDraft, 0, 0, 0}).ok());
  }
  ElectionStatus StatusOf(std::string_view id) { return (*catalog.Get(id))->status; }

  memory::MemoryCatalog catalog;
  memory::MemoryLog log{3};
  FixedClock clock;
  LocalLifecycle lifecycle{catalog, log, clock};
};

TEST_F(LocalLifecycleTest, OpenTwiceKeepsTheFirstOpenedAt) {
  auto first = lifecycle.Open("e");
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_EQ(first->status, ElectionStatus::kOpen);
  EXPECT_EQ(first->opened_at_ms, 1000);
  clock.now = 2000;
  auto second = lifecycle.Open("e");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->opened_at_ms, 1000);
  EXPECT_EQ((*catalog.Get("e"))->opened_at_ms, 1000);
  EXPECT_EQ(SealCount(log), 0u);
}

TEST_F(LocalLifecycleTest, UnknownElectionIsNotFoundEverywhere) {
  EXPECT_EQ(lifecycle.Open("nope").status().code(), Code::kNotFound);
  EXPECT_EQ(lifecycle.Close("nope").status().code(), Code::kNotFound);
  EXPECT_EQ(lifecycle.Finalize("nope").status().code(), Code::kNotFound);
  EXPECT_EQ(SealCount(log), 0u);
}

TEST_F(LocalLifecycleTest, CloseOfADraftIsRefusedAndSealsNothing) {
  EXPECT_EQ(lifecycle.Close("e").status().code(), Code::kConflict);
  EXPECT_EQ(StatusOf("e"), ElectionStatus::kDraft);
  EXPECT_EQ(SealCount(log), 0u);
}

TEST_F(LocalLifecycleTest, CloseSealsEveryPartitionWithClosedAt) {
  ASSERT_TRUE(lifecycle.Open("e").ok());
  clock.now = 1500;
  auto closed = lifecycle.Close("e");
  ASSERT_TRUE(closed.ok()) << closed.status().message();
  EXPECT_EQ(closed->status, ElectionStatus::kClosed);
  EXPECT_EQ(closed->closed_at_ms, 1500);
  EXPECT_EQ(StatusOf("e"), ElectionStatus::kClosed);
  for (const auto& seals : Seals(log)) {
    ASSERT_EQ(seals.size(), 1u);
    EXPECT_EQ(seals[0].election_id, "e");
    EXPECT_EQ(seals[0].closed_at_ms, 1500);
  }
}

// A second close keeps the first closed_at and appends the seal again, which is how a close cut
// short between the catalog and the seal is completed.
TEST_F(LocalLifecycleTest, CloseTwiceKeepsClosedAtAndSealsAgain) {
  ASSERT_TRUE(lifecycle.Open("e").ok());
  ASSERT_TRUE(lifecycle.Close("e").ok());
  clock.now = 3000;
  auto again = lifecycle.Close("e");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->closed_at_ms, 1000);
  for (const auto& seals : Seals(log)) {
    ASSERT_EQ(seals.size(), 2u);
    EXPECT_EQ(seals[1].closed_at_ms, 1000);
  }
}

TEST_F(LocalLifecycleTest, ACloseWhoseSealFailsIsCompletedByClosingAgain) {
  ASSERT_TRUE(lifecycle.Open("e").ok());
  log.fail_appends = true;
  auto failed = lifecycle.Close("e");
  EXPECT_EQ(failed.status().code(), Code::kUnavailable);  // not closed as far as the caller knows
  EXPECT_EQ(StatusOf("e"), ElectionStatus::kClosed);      // but ingest refuses its votes already
  EXPECT_EQ(SealCount(log), 0u);
  log.fail_appends = false;
  auto closed = lifecycle.Close("e");
  ASSERT_TRUE(closed.ok());
  for (const auto& seals : Seals(log)) EXPECT_EQ(seals.size(), 1u);
}

TEST_F(LocalLifecycleTest, OpenAfterCloseIsRefused) {
  ASSERT_TRUE(lifecycle.Open("e").ok());
  ASSERT_TRUE(lifecycle.Close("e").ok());
  EXPECT_EQ(lifecycle.Open("e").status().code(), Code::kConflict);
  EXPECT_EQ(StatusOf("e"), ElectionStatus::kClosed);
}

TEST_F(LocalLifecycleTest, FinalizeBeforeCloseIsRefused) {
  EXPECT_EQ(lifecycle.Finalize("e").status().code(), Code::kConflict);
  EXPECT_EQ(StatusOf("e"), ElectionStatus::kDraft);
  ASSERT_TRUE(lifecycle.Open("e").ok());
  EXPECT_EQ(lifecycle.Finalize("e").status().code(), Code::kConflict);
  EXPECT_EQ(StatusOf("e"), ElectionStatus::kOpen);
}

TEST_F(LocalLifecycleTest, FinalizeAfterCloseKeepsTheTimesInOrderAndIsFinal) {
  clock.now = 5000;
  ASSERT_TRUE(lifecycle.Open("e").ok());
  ASSERT_TRUE(lifecycle.Close("e").ok());
  clock.now = 4000;  // the clock stepped back: finalized_at is not before closed_at
  auto final = lifecycle.Finalize("e");
  ASSERT_TRUE(final.ok()) << final.status().message();
  EXPECT_EQ(final->status, ElectionStatus::kFinal);
  EXPECT_EQ(final->finalized_at_ms, 5000);
  EXPECT_EQ(StatusOf("e"), ElectionStatus::kFinal);
  // Finalizing again changes nothing; closing a final election seals nothing more; it never
  // opens again.
  clock.now = 9000;
  EXPECT_EQ(lifecycle.Finalize("e")->finalized_at_ms, 5000);
  size_t seals = SealCount(log);
  auto closed = lifecycle.Close("e");
  ASSERT_TRUE(closed.ok());
  EXPECT_EQ(closed->status, ElectionStatus::kFinal);
  EXPECT_EQ(SealCount(log), seals);
  EXPECT_EQ(lifecycle.Open("e").status().code(), Code::kConflict);
}

// Closes racing each other: each answers the same election, closed once (one closed_at).
TEST_F(LocalLifecycleTest, ConcurrentClosesAgreeOnClosedAt) {
  ASSERT_TRUE(lifecycle.Open("e").ok());
  std::vector<std::future<Result<Election>>> closes;
  for (int i = 0; i < 4; ++i) {
    closes.push_back(std::async(std::launch::async, [this, i] {
      clock.now = 1000 + i;
      return lifecycle.Close("e");
    }));
  }
  std::set<int64_t> closed_at;
  for (auto& c : closes) {
    auto e = c.get();
    ASSERT_TRUE(e.ok()) << e.status().message();
    closed_at.insert(e->closed_at_ms);
  }
  EXPECT_EQ(closed_at.size(), 1u);
  EXPECT_EQ(*closed_at.begin(), (*catalog.Get("e"))->closed_at_ms);
}

// A vote between its admission check and its append holds the close back: while its ticket
// lives the election stays open, and its append lands ahead of the seal.
TEST_F(LocalLifecycleTest, ACloseWaitsForAVoteBetweenItsCheckAndItsAppend) {
  ASSERT_TRUE(lifecycle.Open("e").ok());
  auto ticket = lifecycle.Enter("e");
  ASSERT_TRUE(ticket.ok());
  auto close = std::async(std::launch::async, [this] { return lifecycle.Close("e"); });
  EXPECT_EQ(close.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  EXPECT_EQ(StatusOf("e"), ElectionStatus::kOpen);  // whatever the close has done meanwhile
  log.Append({"v1", "e", "a", "alice", 1000, "n"}, [](Status s) { EXPECT_TRUE(s.ok()); });
  *ticket = VoteAdmission::Ticket();  // the append is queued: the vote leaves the admission
  auto closed = close.get();
  ASSERT_TRUE(closed.ok());
  uint32_t p = PartitionFor("e", "alice", log.partitions());
  auto entries = *log.Read(p, 0, SIZE_MAX, {});
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].vote.vote_id, "v1");
  EXPECT_TRUE(entries[1].seal.has_value());
}

// A VoteLog whose seals complete only when the test says so; votes go straight through.
class HeldSealLog final : public VoteLog {
 public:
  explicit HeldSealLog(memory::MemoryLog& log) : log_(log) {}
  uint32_t partitions() const override { return log_.partitions(); }
  void Append(VoteEvent vote, AppendDone done) override { log_.Append(std::move(vote), done); }
  void AppendSeal(SealMarker seal, AppendDone done) override {
    std::lock_guard lock(mu_);
    held_.emplace_back(std::move(seal), std::move(done));
    cv_.notify_all();
  }
  void Drain() override {}
  void WaitForSeal() {
    std::unique_lock lock(mu_);
    ASSERT_TRUE(cv_.wait_for(lock, std::chrono::seconds(30), [this] { return !held_.empty(); }));
  }
  void Complete(Status s) {
    std::vector<std::pair<SealMarker, AppendDone>> held;
    {
      std::lock_guard lock(mu_);
      held.swap(held_);
    }
    for (auto& [seal, done] : held) {
      if (s.ok()) {
        log_.AppendSeal(seal, std::move(done));
      } else {
        done(s);
      }
    }
  }

 private:
  memory::MemoryLog& log_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::pair<SealMarker, AppendDone>> held_;
};

// The close answers only once its seal is durable; votes are refused from the moment the seal is
// queued, without waiting for it.
TEST_F(LocalLifecycleTest, CloseAnswersOnceTheSealIsDurable) {
  HeldSealLog held(log);
  LocalLifecycle slow{catalog, held, clock};
  IngestService ingest{catalog, held, clock, "node-a", slow};
  ASSERT_TRUE(slow.Open("e").ok());
  auto close = std::async(std::launch::async, [&] { return slow.Close("e"); });
  held.WaitForSeal();
  std::optional<Status> vote;
  ingest.CastVote("e", "bob", "a", [&](Result<std::string> r) { vote = r.status(); });
  ASSERT_TRUE(vote.has_value());
  EXPECT_EQ(vote->code(), Code::kNotOpen);
  EXPECT_EQ(close.wait_for(std::chrono::milliseconds(20)), std::future_status::timeout);
  held.Complete(Status::Ok());
  ASSERT_TRUE(close.get().ok());
}

// A Catalog whose next Update waits until the test lets it go, like a synced RocksDB write on a
// slow or stalled disk.
class HeldUpdateCatalog final : public Catalog {
 public:
  explicit HeldUpdateCatalog(memory::MemoryCatalog& inner) : inner_(inner) {}
  Status Create(const Election& e) override { return inner_.Create(e); }
  Status Update(const Election& e) override {
    std::unique_lock lock(mu_);
    in_update_ = true;
    cv_.notify_all();
    cv_.wait(lock, [this] { return released_; });
    return inner_.Update(e);
  }
  Result<std::shared_ptr<const Election>> Get(std::string_view id) override {
    return inner_.Get(id);
  }
  std::vector<std::shared_ptr<const Election>> List() override { return inner_.List(); }
  void WaitForUpdate() {
    std::unique_lock lock(mu_);
    ASSERT_TRUE(cv_.wait_for(lock, std::chrono::seconds(30), [this] { return in_update_; }));
  }
  void Release() {
    std::lock_guard lock(mu_);
    released_ = true;
    cv_.notify_all();
  }

 private:
  memory::MemoryCatalog& inner_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool in_update_ = false, released_ = false;
};

// While a close waits on storage (its catalog write), votes for other elections are admitted and
// answered, and votes for the closing election are refused at once: neither waits for the disk
// (ingest runs on the network threads). The seal still goes behind every vote admitted before.
TEST_F(LocalLifecycleTest, ACloseWaitingOnStorageHoldsNoVoteBack) {
  ASSERT_TRUE(catalog.Create({"other", "T", {{"a", "A"}}, ElectionStatus::kDraft, 0, 0, 0}).ok());
  ASSERT_TRUE(lifecycle.Open("e").ok());
  ASSERT_TRUE(lifecycle.Open("other").ok());
  HeldUpdateCatalog held(catalog);
  LocalLifecycle slow{held, log, clock};
  IngestService ingest{held, log, clock, "node-a", slow};
  auto cast = [&](std::string election, std::string voter) {
    return std::async(std::launch::async, [&ingest, election, voter] {
      std::promise<Status> answer;
      ingest.CastVote(election, voter, "a",
                      [&](Result<std::string> r) { answer.set_value(r.status()); });
      return answer.get_future().get();
    });
  };
  ASSERT_TRUE(cast("e", "before").get().ok());
  auto close = std::async(std::launch::async, [&] { return slow.Close("e"); });
  held.WaitForUpdate();
  auto other = cast("other", "carol");
  auto same = cast("e", "dave");
  bool other_answered = other.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  bool same_answered = same.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  held.Release();  // before any assertion can return: nothing is left waiting
  EXPECT_TRUE(other_answered) << "a vote for another election waited for the close's disk write";
  EXPECT_TRUE(same_answered) << "a vote for the closing election waited for the disk write";
  EXPECT_TRUE(other.get().ok());
  EXPECT_EQ(same.get().code(), Code::kNotOpen);
  ASSERT_TRUE(close.get().ok());
  uint32_t p = PartitionFor("e", "before", log.partitions());
  auto entries = *log.Read(p, 0, SIZE_MAX, {});
  ASSERT_FALSE(entries.empty());
  EXPECT_FALSE(entries.front().seal.has_value());
  EXPECT_TRUE(entries.back().seal.has_value());
}

// A close whose catalog write fails leaves the election open and its votes admitted again.
TEST_F(LocalLifecycleTest, AFailedCatalogWriteLeavesTheElectionOpen) {
  class FailingUpdateCatalog final : public Catalog {
   public:
    explicit FailingUpdateCatalog(memory::MemoryCatalog& inner) : inner_(inner) {}
    Status Create(const Election& e) override { return inner_.Create(e); }
    Status Update(const Election&) override { return Status(Code::kUnavailable, "disk"); }
    Result<std::shared_ptr<const Election>> Get(std::string_view id) override {
      return inner_.Get(id);
    }
    std::vector<std::shared_ptr<const Election>> List() override { return inner_.List(); }

   private:
    memory::MemoryCatalog& inner_;
  };
  ASSERT_TRUE(lifecycle.Open("e").ok());
  FailingUpdateCatalog failing(catalog);
  LocalLifecycle broken{failing, log, clock};
  IngestService ingest{failing, log, clock, "node-a", broken};
  EXPECT_EQ(broken.Close("e").status().code(), Code::kUnavailable);
  EXPECT_EQ(StatusOf("e"), ElectionStatus::kOpen);
  EXPECT_EQ(SealCount(log), 0u);
  std::optional<Status> vote;
  ingest.CastVote("e", "erin", "a", [&](Result<std::string> r) { vote = r.status(); });
  ASSERT_TRUE(vote.has_value());
  EXPECT_TRUE(vote->ok()) << vote->message();
}

// Votes race the close on four threads: every vote the ingest accepted is ahead of the seal in
// its partition with an ingest time at or before closed_at, nothing of this node's is behind a
// seal, and every vote after the close is refused at the door.
TEST(LocalLifecycleRaceTest, EveryAcceptedVoteIsAheadOfTheSeal) {
  for (int round = 0; round < 20; ++round) {
    memory::MemoryCatalog catalog;
    memory::MemoryLog log{4};
    SystemClock wall;
    MonotonicClock clock(wall);  // as the app runs it: cast_at <= closed_at even across a step
    LocalLifecycle lifecycle{catalog, log, clock};
    IngestService ingest{catalog, log, clock, "node-a", lifecycle};
    ASSERT_TRUE(catalog.Create({"e", "T", {{"a", "A"}}, ElectionStatus::kDraft, 0, 0, 0}).ok());
    ASSERT_TRUE(lifecycle.Open("e").ok());

    std::mutex mu;
    std::set<std::string> accepted;
    std::vector<std::string> errors;  // asserted on the main thread
    std::atomic<int> refused{0};
    std::atomic<bool> closed{false}, stop{false};
    std::vector<std::thread> voters;
    for (int t = 0; t < 4; ++t) {
      voters.emplace_back([&, t] {
        for (int i = 0; !stop && i < 10'000'000; ++i) {
          ingest.CastVote("e", "v" + std::to_string(t) + "-" + std::to_string(i), "a",
                          [&](Result<std::string> r) {
                            std::lock_guard lock(mu);
                            if (r.ok()) {
                              accepted.insert(*r);
                            } else if (r.status().code() == Code::kNotOpen) {
                              ++refused;
                            } else {
                              errors.push_back(r.status().message());
                            }
                          });
          if (closed && refused > 100) stop = true;
        }
      });
    }
    // The close races votes already flowing (a generous deadline, not a fixed sleep).
    for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
         std::chrono::steady_clock::now() < until;) {
      {
        std::lock_guard lock(mu);
        if (accepted.size() >= 10) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    auto c = lifecycle.Close("e");
    closed = true;
    for (auto& v : voters) v.join();
    ASSERT_TRUE(c.ok()) << c.status().message();
    EXPECT_TRUE(errors.empty()) << errors.front();

    size_t ahead = 0;
    for (uint32_t p = 0; p < log.partitions(); ++p) {
      auto entries = log.Read(p, 0, SIZE_MAX, {});
      ASSERT_TRUE(entries.ok());
      bool sealed = false;
      for (const auto& entry : *entries) {
        if (entry.seal) {
          sealed = true;
          continue;
        }
        EXPECT_FALSE(sealed) << "vote " << entry.vote.vote_id << " behind the seal";
        EXPECT_TRUE(accepted.contains(entry.vote.vote_id));
        EXPECT_LE(entry.vote.ingest_time_ms, c->closed_at_ms);
        ++ahead;
      }
      EXPECT_TRUE(sealed);
    }
    EXPECT_EQ(ahead, accepted.size());
    EXPECT_GE(accepted.size(), 10u) << "votes were flowing when the close came";
    EXPECT_GT(refused.load(), 0);
  }
}

}  // namespace
}  // namespace urna
