// PushQueue's pacing (slices, spread, budget) and PushStreamBase's delivery reports.
#include "net/push_queue.h"

#include <gtest/gtest.h>
#include <time.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "net/push_stream_base.h"

namespace urna::net {
namespace {

std::chrono::nanoseconds ThreadCpu() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

// A stream whose writes complete at once, or when the test says (async); each write can be
// made to cost some CPU time (what the budget counts).
class Viewer final : public PushStreamBase {
 public:
  Viewer(PushQueue& q, bool async = false) : PushStreamBase(q, ConnectionSlot()), async_(async) {}
  static std::shared_ptr<Viewer> Open(PushQueue& q, bool async = false) {
    auto v = std::make_shared<Viewer>(q, async);
    v->Register();
    return v;
  }
  void Finish(bool ok = true) { OnSent(ok); }
  std::vector<std::string> written;
  std::chrono::nanoseconds cost{0};

 private:
  Sent Send(const Message& m) override {
    written.push_back(*m);
    const auto until = ThreadCpu() + cost;
    while (ThreadCpu() < until) {
    }
    return async_ ? Sent::kPending : Sent::kDone;
  }
  void CloseTransport() override {}
  bool async_;
};

struct Counts final : DeliveryTracker {
  void Written() override { ++written; }
  void Skipped() override { ++skipped; }
  std::atomic<int> written{0}, skipped{0};
};

auto Msg(std::string s) { return std::make_shared<const std::string>(std::move(s)); }

struct QueueFixture : ::testing::Test {
  std::vector<std::shared_ptr<Viewer>> Viewers(int n) {
    std::vector<std::shared_ptr<Viewer>> v;
    for (int i = 0; i < n; ++i) v.push_back(Viewer::Open(queue));
    return v;
  }
  static size_t Written(const std::vector<std::shared_ptr<Viewer>>& vs) {
    size_t n = 0;
    for (const auto& v : vs) n += v->written.size();
    return n;
  }
  boost::asio::io_context ctx;
  PushWriteCounters counters;
  PushQueue queue{ctx, counters};
};

// A broadcast is written in slices, one task each: work posted to the same thread after the
// broadcast began (a vote's, with --stream-threads 0; a stream's opening) waits for one slice,
// not for every viewer.
TEST_F(QueueFixture, OtherWorkWaitsForOneSliceAtMost) {
  counters.pacing.slice = 10;
  auto vs = Viewers(35);
  for (auto& v : vs) v->Push(Msg("1"));
  size_t written_when_other_ran = 0;
  boost::asio::post(ctx, [&] { written_when_other_ran = Written(vs); });
  ctx.run();
  EXPECT_EQ(written_when_other_ran, 10u) << "the other task ran after exactly one slice";
  EXPECT_EQ(Written(vs), 35u);
  for (auto& v : vs) EXPECT_EQ(v->written, std::vector<std::string>{"1"});
}

// Without slicing (slice 0) the whole broadcast is one task, as before.
TEST_F(QueueFixture, SliceZeroWritesTheWholeBroadcastInOneTask) {
  auto vs = Viewers(35);
  for (auto& v : vs) v->Push(Msg("1"));
  size_t written_when_other_ran = 0;
  boost::asio::post(ctx, [&] { written_when_other_ran = Written(vs); });
  ctx.run();
  EXPECT_EQ(written_when_other_ran, 35u);
}

// The slices of one broadcast are spaced over the spread: the first is written at once, the
// others later (a timer, never early), so the round takes at least the spread less one gap.
TEST_F(QueueFixture, SlicesAreSpreadOverTheSpread) {
  counters.pacing.slice = 10;
  counters.pacing.spread = std::chrono::milliseconds(200);
  auto vs = Viewers(40);
  const auto start = std::chrono::steady_clock::now();
  for (auto& v : vs) v->Push(Msg("1"));
  ctx.poll();
  EXPECT_EQ(Written(vs), 10u) << "one slice now, the rest spaced";
  ctx.restart();
  ctx.run();
  EXPECT_EQ(Written(vs), 40u);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(150))
      << "three gaps of 200 ms x 10 / 40";
}

// Past the budget (CPU time of writes per period) the rest of the broadcast waits for the next
// period; a newer broadcast meanwhile replaces what those viewers were to get (latest wins: it
// is reported skipped) and adds nothing to the queue. Counted on /metrics: each waiting viewer
// once per round, however many periods it waits.
TEST_F(QueueFixture, OverBudgetTheRestWaitsAndGetsOnlyTheNewest) {
  counters.pacing.slice = 10;
  counters.pacing.budget = std::chrono::microseconds(50);
  counters.pacing.period = std::chrono::milliseconds(500);
  auto vs = Viewers(30);
  for (auto& v : vs) v->cost = std::chrono::microseconds(10);  // one slice: 100 us > 50 us
  auto first = std::make_shared<Counts>();
  for (auto& v : vs) v->Push(Msg("1"), first);
  ctx.poll();
  EXPECT_EQ(Written(vs), 10u) << "one slice, then over budget";
  EXPECT_EQ(counters.budget_exhausted.load(), 1u);
  EXPECT_EQ(counters.deferred.load(), 20u);
  auto second = std::make_shared<Counts>();
  for (auto& v : vs) v->Push(Msg("2"), second);
  EXPECT_EQ(first->skipped.load(), 20) << "the deferred viewers skip to the newest";
  EXPECT_EQ(first->written.load(), 10);
  ctx.restart();
  ctx.run();  // one slice per period until done
  size_t both = 0, newest = 0;
  for (const auto& v : vs) {
    both += v->written == std::vector<std::string>{"1", "2"};
    newest += v->written == std::vector<std::string>{"2"};
  }
  EXPECT_EQ(both, 10u) << "the first slice got both";
  EXPECT_EQ(newest, 20u) << "the deferred ones only the newest";
  EXPECT_EQ(second->written.load(), 30);
  EXPECT_GE(counters.budget_exhausted.load(), 2u);
  EXPECT_EQ(counters.deferred.load(), 20u)
      << "a viewer that waits two periods in one round is counted once";
}

// A round that ended over the budget leaves nothing for the rest of its period: a broadcast
// that comes within that period waits for the next one instead of writing a slice at once.
TEST_F(QueueFixture, ARoundAfterTheBudgetRanOutWaitsForTheNextPeriod) {
  counters.pacing.slice = 10;
  counters.pacing.budget = std::chrono::microseconds(50);
  counters.pacing.period = std::chrono::seconds(1);
  auto vs = Viewers(5);
  for (auto& v : vs) v->cost = std::chrono::microseconds(20);  // the round: 100 us > 50 us
  for (auto& v : vs) v->Push(Msg("1"));
  ctx.poll();
  ASSERT_EQ(Written(vs), 5u) << "the whole round in one slice, ending over the budget";
  const auto period_start = std::chrono::steady_clock::now();
  for (auto& v : vs) v->Push(Msg("2"));
  ctx.restart();
  ctx.poll();
  EXPECT_EQ(Written(vs), 5u) << "over budget: the next round waits for the next period";
  EXPECT_EQ(counters.deferred.load(), 5u);
  ctx.restart();
  ctx.run();
  EXPECT_EQ(Written(vs), 10u);
  EXPECT_GE(std::chrono::steady_clock::now() - period_start, std::chrono::milliseconds(500));
}

// The hub pushes its viewers in the same order every tick; each round starts one slice further
// on, so the same viewers are not always the last slice (the one that waits the spread).
TEST_F(QueueFixture, EachRoundStartsWithOtherViewers) {
  counters.pacing.slice = 10;
  auto vs = Viewers(30);
  std::vector<std::vector<size_t>> first_slices;
  for (int round = 1; round <= 3; ++round) {
    for (auto& v : vs) v->Push(Msg(std::to_string(round)));
    boost::asio::post(ctx, [&, round] {
      std::vector<size_t> got;
      for (size_t i = 0; i < vs.size(); ++i) {
        if (vs[i]->written.size() == static_cast<size_t>(round)) got.push_back(i);
      }
      first_slices.push_back(got);
    });
    ctx.restart();
    ctx.run();
    ASSERT_EQ(Written(vs), 30u * round);
  }
  ASSERT_EQ(first_slices.size(), 3u);
  for (const auto& f : first_slices) EXPECT_EQ(f.size(), 10u);
  EXPECT_NE(first_slices[0], first_slices[1]);
  EXPECT_NE(first_slices[1], first_slices[2]);
  EXPECT_NE(first_slices[0], first_slices[2]) << "three rounds, three different first slices";
}

// CloseAll (server stop) cancels a spaced slice's timer; a stream pushed to afterwards is
// still written (the queue does not believe a drain is still on its way).
TEST_F(QueueFixture, AStreamPushedAfterCloseAllIsWritten) {
  counters.pacing.slice = 10;
  counters.pacing.spread = std::chrono::seconds(10);
  auto vs = Viewers(40);
  for (auto& v : vs) v->Push(Msg("1"));
  ctx.poll();
  ASSERT_EQ(Written(vs), 10u) << "one slice now, the next one's timer armed";
  queue.CloseAll();
  auto late = Viewer::Open(queue);
  late->Push(Msg("late"));
  ctx.restart();
  ctx.run();
  EXPECT_EQ(late->written, std::vector<std::string>{"late"});
}

// A Push racing a Close (the hub's thread against the queue's) never leaves the message and its
// tracker held by the closed stream: with a write in flight, once that write ends (cancelled by
// the close) nothing holds the tracker of the message pushed meanwhile.
TEST_F(QueueFixture, CloseWithAWriteInFlightLetsGoOfItsTracker) {
  for (int i = 0; i < 3000; ++i) {
    auto v = Viewer::Open(queue, /*async=*/true);
    v->Push(Msg("first"));
    ctx.restart();
    ctx.poll();  // "first" is in flight: the next push waits as pending
    ASSERT_EQ(v->written.size(), 1u);
    auto tracker = std::make_shared<Counts>();
    std::atomic<bool> go{false};
    std::thread pusher([&] {
      while (!go.load()) {
      }
      v->Push(Msg("second"), tracker);
    });
    go = true;
    v->Close();
    pusher.join();
    v->Finish(false);  // the transport's cancelled write ends
    ASSERT_EQ(tracker.use_count(), 1) << "iteration " << i << ": the closed stream holds it";
    EXPECT_EQ(tracker->written.load(), 0);
  }
}

// A message's tracker hears Written only once its write ended well, Skipped when a newer message
// replaced it first, and nothing when the stream closed first.
TEST_F(QueueFixture, TrackersHearWrittenSkippedOrNothing) {
  auto slow = Viewer::Open(queue, /*async=*/true);
  auto a = std::make_shared<Counts>(), b = std::make_shared<Counts>(),
       c = std::make_shared<Counts>(), d = std::make_shared<Counts>();
  slow->Push(Msg("a"), a);
  ctx.poll();
  EXPECT_EQ(a->written.load(), 0) << "in flight: not yet handed whole to the kernel";
  slow->Push(Msg("b"), b);
  slow->Push(Msg("c"), c);
  EXPECT_EQ(b->skipped.load(), 1);
  slow->Finish();
  EXPECT_EQ(a->written.load(), 1);
  EXPECT_EQ(c->written.load(), 0);
  slow->Finish();
  EXPECT_EQ(c->written.load(), 1);
  slow->Push(Msg("d"), d);
  slow->Close();
  EXPECT_EQ(d->written.load() + d->skipped.load(), 0);
  EXPECT_EQ(d.use_count(), 1) << "a closed stream lets go of its tracker";
  EXPECT_EQ(a->skipped.load() + c->skipped.load(), 0);
}

}  // namespace
}  // namespace urna::net
