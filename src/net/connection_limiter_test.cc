#include "net/connection_limiter.h"

#include <gtest/gtest.h>

#include "net/server_internal.h"

namespace urna::net {
namespace {

ConnectionLimits Limits(size_t max, size_t push) {
  ConnectionLimits l;
  l.max_connections = max;
  l.max_push_streams = push;
  return l;
}

TEST(ConnectionLimiter, RefusesOverTheCapAndCountsRefusals) {
  ConnectionLimiter lim(Limits(3, 2));
  EXPECT_TRUE(lim.TryAcquire());
  EXPECT_TRUE(lim.TryAcquire());
  EXPECT_TRUE(lim.TryAcquire());
  EXPECT_FALSE(lim.TryAcquire());
  EXPECT_FALSE(lim.TryAcquire());
  EXPECT_EQ(lim.open(), 3u);
  EXPECT_EQ(lim.refused(), 2u);
  lim.Release();
  EXPECT_TRUE(lim.TryAcquire());
  EXPECT_EQ(lim.peak_open(), 3u);
}

TEST(ConnectionLimiter, SlotsReleaseWhenDestroyedAndViewersHaveASubCap) {
  ConnectionLimiter lim(Limits(4, 1));
  {
    ASSERT_TRUE(lim.TryAcquire());
    ConnectionSlot a(&lim);
    ASSERT_TRUE(lim.TryAcquire());
    ConnectionSlot b(&lim);
    EXPECT_TRUE(a.PromoteToPush());
    EXPECT_FALSE(b.PromoteToPush());  // the viewers' sub-cap is 1
    EXPECT_EQ(lim.push_refused(), 1u);
    ConnectionSlot moved(std::move(a));  // a push stream takes the slot over
    EXPECT_EQ(lim.open(), 2u);
    EXPECT_EQ(lim.push_open(), 1u);
  }
  EXPECT_EQ(lim.open(), 0u);
  EXPECT_EQ(lim.push_open(), 0u);
}

// ops: /metrics counts viewers by protocol; a WebSocket slot moved to its stream keeps its kind.
TEST(ConnectionLimiter, CountsWebSocketViewersApart) {
  ConnectionLimiter lim(Limits(4, 3));
  {
    ASSERT_TRUE(lim.TryAcquire());
    ConnectionSlot ws(&lim);
    ASSERT_TRUE(lim.TryAcquire());
    ConnectionSlot sse(&lim);
    EXPECT_TRUE(ws.PromoteToPush(/*websocket=*/true));
    EXPECT_TRUE(sse.PromoteToPush(/*websocket=*/false));
    ConnectionSlot moved(std::move(ws));
    EXPECT_EQ(lim.push_open(), 2u);
    EXPECT_EQ(lim.push_open_websocket(), 1u);
  }
  EXPECT_EQ(lim.push_open(), 0u);
  EXPECT_EQ(lim.push_open_websocket(), 0u);
}

TEST(ConnectionLimiter, BusyAboveTheFractionShortensTheIdleTimeout) {
  auto l = Limits(10, 5);
  l.busy_fraction = 0.8;
  l.idle_timeout = std::chrono::seconds(60);
  l.busy_idle_timeout = std::chrono::seconds(3);
  ConnectionLimiter lim(l);
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(lim.TryAcquire());
  EXPECT_FALSE(lim.busy());
  EXPECT_EQ(lim.idle_timeout(), std::chrono::seconds(60));
  ASSERT_TRUE(lim.TryAcquire());
  EXPECT_TRUE(lim.busy());
  EXPECT_EQ(lim.idle_timeout(), std::chrono::seconds(3));
}

TEST(ConnectionLimiter, DefaultKeepsAReserveOfDescriptors) {
  EXPECT_EQ(DefaultMaxConnections(20000), 15904u);  // reserve 4,096 (the upper bound)
  EXPECT_EQ(DefaultMaxConnections(1024), 768u);     // reserve a quarter
  EXPECT_EQ(DefaultMaxConnections(512), 256u);      // reserve 256 (the lower bound)
  EXPECT_EQ(DefaultMaxConnections(100), 1u);        // never zero
  EXPECT_GT(FdLimit(), 0u);
}

// The accept loop's warnings: one line per interval, with the count of what was not logged.
TEST(WarnLimiter, OneLinePerIntervalWithTheSuppressedCount) {
  WarnLimiter w(std::chrono::seconds(5));
  auto t0 = SteadyClock::now();
  uint64_t suppressed = 99;
  EXPECT_TRUE(w.ShouldLog(t0, suppressed));
  EXPECT_EQ(suppressed, 0u);
  for (int i = 1; i <= 1000; ++i) {
    EXPECT_FALSE(w.ShouldLog(t0 + std::chrono::milliseconds(i), suppressed));
  }
  EXPECT_TRUE(w.ShouldLog(t0 + std::chrono::seconds(5), suppressed));
  EXPECT_EQ(suppressed, 1000u);
}

}  // namespace
}  // namespace urna::net
