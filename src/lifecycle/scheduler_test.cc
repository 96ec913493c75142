// ElectionScheduler over the real LocalLifecycle (memory catalog and log) with a fake clock.
#include "lifecycle/scheduler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <limits>
#include <thread>
#include <utility>

#include "adapters/memory/memory_catalog.h"
#include "adapters/memory/memory_vote_log.h"
#include "lifecycle/local_lifecycle.h"

namespace urna {
namespace {

class FakeWallClock : public Clock {
 public:
  int64_t NowMs() const override { return now; }
  std::atomic<int64_t> now{1000};
};

constexpr int64_t kNothing = std::numeric_limits<int64_t>::max();

size_t SealCount(memory::MemoryLog& log) {
  size_t n = 0;
  for (uint32_t p = 0; p < log.partitions(); ++p) {
    auto entries = log.Read(p, 0, SIZE_MAX, {});
    for (const auto& entry : *entries) n += entry.seal ? 1 : 0;
  }
  return n;
}

class SchedulerTest : public ::testing::Test {
 protected:
  void Add(std::string id, int64_t opens_at, int64_t closes_at,
           ElectionStatus status = ElectionStatus::kDraft) {
    Election e{std::move(id), "T", {{"a", "A"}}, status, 1, 0, 0};
    e.opens_at_ms = opens_at;
    e.closes_at_ms = closes_at;
    ASSERT_TRUE(catalog.Create(e).ok());
  }
  ElectionStatus StatusOf(std::string_view id) { return (*catalog.Get(id))->status; }

  memory::MemoryCatalog catalog;
  memory::MemoryLog log{3};
  FakeWallClock clock;
  LocalLifecycle lifecycle{catalog, log, clock};
  ElectionScheduler scheduler{catalog, lifecycle, clock};
};

TEST_F(SchedulerTest, OpensAndClosesOnTimeWithTheSealOfAClose) {
  Add("e", 5000, 9000);
  Add("plain", 0, 0);  // not scheduled: never touched
  EXPECT_EQ(scheduler.RunDue(), 5000);
  EXPECT_EQ(StatusOf("e"), ElectionStatus::kDraft);
  clock.now = 4999;
  EXPECT_EQ(scheduler.RunDue(), 5000);
  EXPECT_EQ(StatusOf("e"), ElectionStatus::kDraft);
  clock.now = 5000;
  EXPECT_EQ(scheduler.RunDue(), 9000);  // opened; the close is next
  EXPECT_EQ(StatusOf("e"), ElectionStatus::kOpen);
  EXPECT_EQ((*catalog.Get("e"))->opened_at_ms, 5000);
  EXPECT_EQ(SealCount(log), 0u);
  clock.now = 9001;
  EXPECT_EQ(scheduler.RunDue(), kNothing);
  auto e = *catalog.Get("e");
  EXPECT_EQ(e->status, ElectionStatus::kClosed);
  EXPECT_EQ(e->closed_at_ms, 9001);
  EXPECT_EQ(SealCount(log), 3u);  // the seal in every partition, as POST close appends it
  EXPECT_EQ(StatusOf("plain"), ElectionStatus::kDraft);
  clock.now = 20000;
  EXPECT_EQ(scheduler.RunDue(), kNothing);  // nothing again: no second seal
  EXPECT_EQ(SealCount(log), 3u);
  EXPECT_EQ(scheduler.stats().opened, 1u);
  EXPECT_EQ(scheduler.stats().closed, 1u);
}

// A catalog that runs `edit` once, right after it lists the elections: an admin's edit landing
// between the scheduler's listing and its open.
class EditAfterListCatalog : public Catalog {
 public:
  Status Create(const Election& e) override { return inner.Create(e); }
  Status Update(const Election& e) override { return inner.Update(e); }
  Result<std::shared_ptr<const Election>> Get(std::string_view id) override {
    return inner.Get(id);
  }
  std::vector<std::shared_ptr<const Election>> List() override {
    auto all = inner.List();
    if (edit) std::exchange(edit, nullptr)();
    return all;
  }
  memory::MemoryCatalog inner;
  std::function<void()> edit;
};

TEST(SchedulerEditTest, ADraftWhoseOpenWasMovedAfterTheListingIsNotOpened) {
  EditAfterListCatalog catalog;
  memory::MemoryLog log{2};
  FakeWallClock clock;
  LocalLifecycle lifecycle{catalog, log, clock};
  ElectionScheduler scheduler{catalog, lifecycle, clock};
  Election e{"e", "T", {{"a", "A"}}, ElectionStatus::kDraft, 1, 0, 0};
  e.opens_at_ms = 5000;
  ASSERT_TRUE(catalog.Create(e).ok());
  clock.now = 5000;
  catalog.edit = [&] {  // PUT moves the open an hour later
    Election moved = **catalog.Get("e");
    moved.opens_at_ms = 3'605'000;
    ASSERT_TRUE(catalog.Update(moved).ok());
  };
  scheduler.RunDue();
  EXPECT_EQ((*catalog.Get("e"))->status, ElectionStatus::kDraft) << "opened at its old time";
  EXPECT_EQ(scheduler.RunDue(), 3'605'000);  // the next pass follows the new time
  clock.now = 3'605'000;
  scheduler.RunDue();
  EXPECT_EQ((*catalog.Get("e"))->status, ElectionStatus::kOpen);
}

TEST_F(SchedulerTest, ManualOpenAndCloseWin) {
  Add("e", 5000, 9000);
  ASSERT_TRUE(lifecycle.Open("e").ok());  // opened early by hand
  EXPECT_EQ(scheduler.RunDue(), 9000);    // only the close is left
  clock.now = 6000;
  EXPECT_EQ(scheduler.RunDue(), 9000);
  EXPECT_EQ((*catalog.Get("e"))->opened_at_ms, 1000);  // the manual open stands
  ASSERT_TRUE(lifecycle.Close("e").ok());              // closed early by hand
  EXPECT_EQ(SealCount(log), 3u);
  clock.now = 9000;
  EXPECT_EQ(scheduler.RunDue(), kNothing);
  EXPECT_EQ((*catalog.Get("e"))->closed_at_ms, 6000);
  EXPECT_EQ(SealCount(log), 3u);  // no second close
  EXPECT_EQ(scheduler.stats().opened + scheduler.stats().closed, 0u);
}

TEST_F(SchedulerTest, ACloseAloneClosesAnElectionOpenedByHand) {
  Add("e", 0, 3000);
  EXPECT_EQ(scheduler.RunDue(), kNothing);  // a draft with no opens_at waits for the admin
  clock.now = 2000;
  ASSERT_TRUE(lifecycle.Open("e").ok());  // opened by hand before its closes_at
  EXPECT_EQ(scheduler.RunDue(), 3000);
  clock.now = 3000;
  EXPECT_EQ(scheduler.RunDue(), kNothing);
  EXPECT_EQ(StatusOf("e"), ElectionStatus::kClosed);
  EXPECT_EQ(SealCount(log), 3u);
}

// Finding S1: opened by hand after its closes_at, an election was answered "open" and closed by
// the next pass. The open is refused (409 naming closes_at) and changes nothing.
TEST_F(SchedulerTest, AnOpenByHandAfterClosesAtIsRefused) {
  Add("late", 0, 3000);
  clock.now = 4000;
  EXPECT_EQ(scheduler.RunDue(), kNothing);
  auto r = lifecycle.Open("late");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kConflict);
  EXPECT_NE(r.status().message().find("closes_at has passed"), std::string::npos);
  EXPECT_EQ(scheduler.RunDue(), kNothing);
  auto e = *catalog.Get("late");
  EXPECT_EQ(e->status, ElectionStatus::kDraft);
  EXPECT_EQ(e->opened_at_ms, 0);
  EXPECT_EQ(SealCount(log), 0u);
}

TEST_F(SchedulerTest, TimesPassedWhileDownAreCaughtUpInScheduleOrder) {
  Add("both-passed", 2000, 3000);
  Add("open-passed", 4000, 50000);
  Add("close-passed", 0, 5000, ElectionStatus::kOpen);
  clock.now = 10000;  // the first pass after a restart
  EXPECT_EQ(scheduler.RunDue(), 50000);
  // Its whole window passed unopened: it stays a draft (to be edited or deleted), not opened
  // and closed with no votes; no failure, no retry.
  auto both = *catalog.Get("both-passed");
  EXPECT_EQ(both->status, ElectionStatus::kDraft);
  EXPECT_EQ(both->opened_at_ms, 0);
  EXPECT_EQ(StatusOf("open-passed"), ElectionStatus::kOpen);
  EXPECT_EQ(StatusOf("close-passed"), ElectionStatus::kClosed);
  EXPECT_EQ(SealCount(log), 3u);
  EXPECT_EQ(scheduler.stats().failures, 0u);
  EXPECT_EQ(scheduler.RunDue(), 50000);
  EXPECT_EQ(StatusOf("both-passed"), ElectionStatus::kDraft);
  EXPECT_EQ(scheduler.stats().failures, 0u);
  // And an admin cannot open it either (core rule OpenElection): 409, nothing changes.
  auto opened = lifecycle.Open("both-passed");
  EXPECT_EQ(opened.status().code(), Code::kConflict);
  EXPECT_EQ(StatusOf("both-passed"), ElectionStatus::kDraft);
}

TEST_F(SchedulerTest, AFailedCloseIsRetriedAfterRetryAfter) {
  Add("e", 0, 3000, ElectionStatus::kOpen);
  clock.now = 3000;
  log.fail_appends = true;              // the seal cannot be written
  EXPECT_EQ(scheduler.RunDue(), 4000);  // retry_after (1 s) later
  EXPECT_EQ(scheduler.stats().failures, 1u);
  // The close went as far as it could (the catalog says closed, the seal is missing); closing
  // again completes it, as POST close would.
  log.fail_appends = false;
  clock.now = 3500;
  EXPECT_EQ(scheduler.RunDue(), 4000);  // not before the retry time
  EXPECT_EQ(SealCount(log), 0u);
  clock.now = 4000;
  EXPECT_EQ(scheduler.RunDue(), kNothing);
  EXPECT_EQ(SealCount(log), 3u);
  EXPECT_EQ(scheduler.stats().closed, 1u);
}

TEST_F(SchedulerTest, ThreadActsWhenTheClockReachesTheTime) {
  Add("e", 5000, 9000);
  scheduler.Start();
  auto wait_for = [&](ElectionStatus want) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (StatusOf("e") != want && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return StatusOf("e");
  };
  clock.now = 5000;
  EXPECT_EQ(wait_for(ElectionStatus::kOpen), ElectionStatus::kOpen);
  clock.now = 9000;
  scheduler.Wake();
  EXPECT_EQ(wait_for(ElectionStatus::kClosed), ElectionStatus::kClosed);
  scheduler.Stop();
  scheduler.Stop();  // idempotent
  EXPECT_EQ(SealCount(log), 3u);
}

// A lifecycle whose opens wait until the test lets them go, counting how many run at once.
class GatedLifecycle final : public ElectionLifecycle {
 public:
  explicit GatedLifecycle(ElectionLifecycle& inner) : inner_(inner) {}
  Result<Election> Open(std::string_view id) override {
    int now = ++running;
    int seen = peak.load();
    while (now > seen && !peak.compare_exchange_weak(seen, now)) {
    }
    while (!go.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    --running;
    return inner_.Open(id);
  }
  Result<Election> Close(std::string_view id) override { return inner_.Close(id); }
  Result<Election> Finalize(std::string_view id) override { return inner_.Finalize(id); }
  Result<Election> EditDraft(const Election& spec) override { return inner_.EditDraft(spec); }
  Status DeleteDraft(std::string_view id) override { return inner_.DeleteDraft(id); }
  Result<Election> Archive(std::string_view id) override { return inner_.Archive(id); }

  std::atomic<int> running{0}, peak{0};
  std::atomic<bool> go{false};

 private:
  ElectionLifecycle& inner_;
};

// Due actions run side by side, each election's on its own thread, never more than
// max_parallel at once; those over the bound start as places free up, and the pass returns
// once all are done.
TEST_F(SchedulerTest, DueActionsRunInParallelUpToMaxParallel) {
  for (int i = 0; i < 5; ++i) Add("e" + std::to_string(i), 5000, 0);
  GatedLifecycle gated(lifecycle);
  SchedulerOptions options;
  options.max_parallel = 2;
  ElectionScheduler parallel(catalog, gated, clock, options);
  clock.now = 5000;
  std::thread pass([&] { EXPECT_EQ(parallel.RunDue(), kNothing); });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (gated.running.load() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(gated.running.load(), 2) << "two opens in progress at once";
  gated.go = true;
  pass.join();
  EXPECT_EQ(gated.peak.load(), 2) << "never more than max_parallel";
  for (int i = 0; i < 5; ++i) EXPECT_EQ(StatusOf("e" + std::to_string(i)), ElectionStatus::kOpen);
  EXPECT_EQ(parallel.stats().opened, 5u);
}

}  // namespace
}  // namespace urna
