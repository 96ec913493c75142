// PushQueue's pacing (slices, spread, budget) and PushStreamBase's delivery reports.
#include "net/push_queue.h"

#include <gtest/gtest.h>
#include <time.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <atomic>
#include <chrono>
#include <string>
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
// is reported skipped) and adds nothing to the queue. Counted on /metrics.
TEST_F(QueueFixture, OverBudgetTheRestWaitsAndGetsOnlyTheNewest) {
  counters.pacing.slice = 10;
  counters.pacing.budget = std::chrono::microseconds(50);
  counters.pacing.period = std::chrono::milliseconds(20);
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
  for (size_t i = 0; i < vs.size(); ++i) {
    if (i < 10) {
      EXPECT_EQ(vs[i]->written, (std::vector<std::string>{"1", "2"})) << i;
    } else {
      EXPECT_EQ(vs[i]->written, std::vector<std::string>{"2"}) << i;
    }
  }
  EXPECT_EQ(second->written.load(), 30);
  EXPECT_GE(counters.budget_exhausted.load(), 2u);
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
