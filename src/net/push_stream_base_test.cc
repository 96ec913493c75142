#include "net/push_stream_base.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include <thread>
#include <vector>

#include "net/push_queue.h"

namespace urna::net {
namespace {

// A stream whose writes the test completes by hand (a viewer that reads when told to).
class FakeStream final : public PushStreamBase {
 public:
  FakeStream(PushQueue& q, bool async) : PushStreamBase(q, ConnectionSlot()), async_(async) {}
  void Open() { Register(); }
  void Finish(bool ok = true) { OnSent(ok); }
  void First(std::string m) { SendFirst(std::make_shared<const std::string>(std::move(m))); }
  void Control(std::string m, bool then_close = false) {
    SendControl(std::make_shared<const std::string>(std::move(m)), then_close);
  }
  std::vector<std::string> written;
  int transport_closed = 0;

 private:
  Sent Send(const Message& m) override {
    written.push_back(*m);
    return async_ ? Sent::kPending : Sent::kDone;
  }
  void CloseTransport() override { ++transport_closed; }
  bool async_;
};

auto Msg(std::string s) { return std::make_shared<const std::string>(std::move(s)); }

struct PushFixture : ::testing::Test {
  boost::asio::io_context ctx;
  PushWriteCounters counters;
  PushQueue queue{ctx, counters};
};

// While a write is in flight only the newest message waits: a slow viewer skips the ones in
// between and costs one pending message, whatever the number of pushes.
TEST_F(PushFixture, LatestWinsWhileAWriteIsInFlight) {
  auto s = std::make_shared<FakeStream>(queue, /*async=*/true);
  s->Open();
  s->Push(Msg("1"));
  ctx.poll();
  ASSERT_EQ(s->written, std::vector<std::string>{"1"});
  for (int i = 2; i <= 1000; ++i) s->Push(Msg(std::to_string(i)));
  ctx.restart();
  ctx.poll();
  EXPECT_EQ(s->written.size(), 1u) << "nothing is written while the first write is in flight";
  s->Finish();
  s->Finish();
  EXPECT_EQ(s->written, (std::vector<std::string>{"1", "1000"}));
}

// A burst of pushes to many idle streams is one task on the queue's thread, not one per stream,
// and each stream is on the ready list once however often it is pushed to.
TEST_F(PushFixture, OneDrainPerBurstAndEachStreamOnce) {
  std::vector<std::shared_ptr<FakeStream>> streams;
  for (int i = 0; i < 100; ++i) {
    streams.push_back(std::make_shared<FakeStream>(queue, /*async=*/false));
    streams.back()->Open();
  }
  for (int round = 0; round < 3; ++round) {
    for (auto& s : streams) s->Push(Msg("r" + std::to_string(round)));
  }
  ctx.restart();
  EXPECT_EQ(ctx.poll(), 1u) << "one drain task for the whole burst";
  for (auto& s : streams) EXPECT_EQ(s->written, std::vector<std::string>{"r2"});
  EXPECT_EQ(counters.other.load(), 100u) << "one write per stream, counted by thread kind";
}

// A keep-alive never displaces a message that carries data, and a message displaces it.
TEST_F(PushFixture, KeepAliveNeverDisplacesData) {
  auto s = std::make_shared<FakeStream>(queue, /*async=*/true);
  s->Open();
  s->Push(Msg("a"));
  ctx.poll();
  s->Push(Msg("b"));
  s->PushKeepAlive(Msg(":ka"));
  s->Finish();
  EXPECT_EQ(s->written, (std::vector<std::string>{"a", "b"}));
  s->PushKeepAlive(Msg(":ka"));
  s->Push(Msg("c"));
  s->Finish();
  EXPECT_EQ(s->written, (std::vector<std::string>{"a", "b", "c"}));
}

// The first message (the SSE response head) goes before anything pushed while it is written.
TEST_F(PushFixture, FirstMessageGoesFirst) {
  auto s = std::make_shared<FakeStream>(queue, /*async=*/true);
  s->Open();
  s->First("head");
  s->Push(Msg("snapshot"));
  ctx.poll();
  EXPECT_EQ(s->written, std::vector<std::string>{"head"});
  s->Finish();
  EXPECT_EQ(s->written, (std::vector<std::string>{"head", "snapshot"}));
}

// A write in flight past the timeout closes the stream; a failed write closes it; a closed
// stream takes no more messages; CloseAll closes every open stream.
TEST_F(PushFixture, StuckFailedAndStoppedStreamsClose) {
  auto stuck = std::make_shared<FakeStream>(queue, /*async=*/true);
  auto idle = std::make_shared<FakeStream>(queue, /*async=*/true);
  stuck->Open();
  idle->Open();
  stuck->Push(Msg("x"));
  ctx.poll();
  auto now = std::chrono::steady_clock::now();
  queue.SweepStuck(now, std::chrono::seconds(10));
  EXPECT_FALSE(stuck->closed()) << "not yet past the timeout";
  queue.SweepStuck(now + std::chrono::seconds(11), std::chrono::seconds(10));
  EXPECT_TRUE(stuck->closed());
  EXPECT_EQ(stuck->transport_closed, 1);
  EXPECT_FALSE(idle->closed()) << "a stream with no write in flight is never stuck";
  stuck->Finish(false);  // the cancelled write ends
  stuck->Push(Msg("y"));
  EXPECT_EQ(stuck->written, std::vector<std::string>{"x"});

  auto broken = std::make_shared<FakeStream>(queue, /*async=*/true);
  broken->Open();
  broken->Push(Msg("z"));
  ctx.restart();
  ctx.poll();
  broken->Finish(false);
  EXPECT_TRUE(broken->closed());

  queue.CloseAll();
  EXPECT_TRUE(idle->closed());
  EXPECT_EQ(queue.size(), 0u);
}

// Pushes from another thread (the hub's) while the queue's thread writes: every stream ends on
// the last message, none is lost at the race between a write's end and a new push.
TEST_F(PushFixture, ConcurrentPushesEndOnTheLastMessage) {
  std::vector<std::shared_ptr<FakeStream>> streams;
  for (int i = 0; i < 50; ++i) {
    streams.push_back(std::make_shared<FakeStream>(queue, /*async=*/false));
    streams.back()->Open();
  }
  auto guard = boost::asio::make_work_guard(ctx);
  std::thread runner([&] {
    SetThreadRole(ThreadRole::kReadSide);
    ctx.run();
  });
  for (int m = 1; m <= 2000; ++m) {
    for (auto& s : streams) s->Push(Msg(std::to_string(m)));
  }
  guard.reset();
  runner.join();
  for (auto& s : streams) {
    ASSERT_FALSE(s->written.empty());
    EXPECT_EQ(s->written.back(), "2000");
  }
  EXPECT_GT(counters.read_side.load(), 0u);
  EXPECT_EQ(counters.network.load(), 0u);
}

// A control frame (a WebSocket ping, close) goes after the write in flight and before the
// pending data; a newer one replaces one still waiting.
TEST_F(PushFixture, ControlFrameGoesAfterTheWriteInFlightAndBeforePendingData) {
  auto s = std::make_shared<FakeStream>(queue, /*async=*/true);
  s->Open();
  s->Push(Msg("a"));
  ctx.poll();
  s->Push(Msg("b"));
  s->Control("ping1");
  s->Control("ping2");
  EXPECT_EQ(s->written, std::vector<std::string>{"a"}) << "the write in flight is not cut";
  s->Finish();
  EXPECT_EQ(s->written, (std::vector<std::string>{"a", "ping2"}))
      << "the newer control frame replaced the waiting one and goes before the pending data";
  s->Finish();
  s->Finish();
  EXPECT_EQ(s->written, (std::vector<std::string>{"a", "ping2", "b"}));
  s->Control("ping3");  // idle: written at once
  EXPECT_EQ(s->written.back(), "ping3");
  EXPECT_FALSE(s->closed());
}

// A closing control frame is not replaced by a newer one, nothing is written after it (the
// pending data is dropped), and the stream closes once it is written, not before.
TEST_F(PushFixture, ClosingFrameIsLastAndClosesOnceWritten) {
  auto s = std::make_shared<FakeStream>(queue, /*async=*/true);
  s->Open();
  s->Push(Msg("a"));
  ctx.poll();
  s->Push(Msg("b"));
  s->Control("close", /*then_close=*/true);
  s->Control("ping");
  s->Finish();
  EXPECT_EQ(s->written, (std::vector<std::string>{"a", "close"}));
  EXPECT_FALSE(s->closed()) << "the closing frame is still being written";
  s->Push(Msg("c"));
  s->Control("ping");
  s->Control("close again", /*then_close=*/true);
  EXPECT_EQ(s->transport_closed, 0);
  s->Finish();
  EXPECT_TRUE(s->closed());
  EXPECT_EQ(s->transport_closed, 1);
  s->Push(Msg("d"));
  ctx.restart();
  ctx.poll();
  EXPECT_EQ(s->written, (std::vector<std::string>{"a", "close"})) << "nothing after the close";
}

// The same when every write completes at once: the closing frame is the last write and the
// stream is closed by the time SendControl returns.
TEST_F(PushFixture, ClosingFrameOnAnIdleStreamClosesAtOnce) {
  auto s = std::make_shared<FakeStream>(queue, /*async=*/false);
  s->Open();
  s->Push(Msg("a"));
  s->Control("close", /*then_close=*/true);
  EXPECT_EQ(s->written, (std::vector<std::string>{"close"}))
      << "a control frame goes before the pending data, and a closing one drops it";
  EXPECT_TRUE(s->closed());
  ctx.poll();  // the stream's entry on the ready list finds it closed
  EXPECT_EQ(s->written, std::vector<std::string>{"close"});
}

// A control frame written while the stream waits on the ready list also writes the pending
// data (WriteNext), which leaves a stale entry on the list: a push meanwhile schedules the
// stream again. Both Flushes run; nothing is lost or written twice.
TEST_F(PushFixture, ControlFrameAheadOfTheDrainLosesNothing) {
  auto s = std::make_shared<FakeStream>(queue, /*async=*/false);
  s->Open();
  s->Push(Msg("a"));  // on the ready list
  s->Control("ping");
  EXPECT_EQ(s->written, (std::vector<std::string>{"ping", "a"}));
  s->Push(Msg("b"));  // idle again: scheduled again, the first entry not yet drained
  ctx.poll();
  EXPECT_EQ(s->written, (std::vector<std::string>{"ping", "a", "b"}));
  s->Push(Msg("c"));
  ctx.restart();
  ctx.poll();
  EXPECT_EQ(s->written, (std::vector<std::string>{"ping", "a", "b", "c"}));
}

}  // namespace
}  // namespace urna::net
