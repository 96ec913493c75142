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

}  // namespace
}  // namespace urna::net
