#include "ports/clock.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace urna {
namespace {

class SetClock : public Clock {
 public:
  int64_t NowMs() const override { return now.load(); }
  std::atomic<int64_t> now{1000};
};

TEST(MonotonicClockTest, StandsStillWhileTheSourceIsBehind) {
  SetClock wall;
  MonotonicClock clock(wall);
  EXPECT_EQ(clock.NowMs(), 1000);
  wall.now = 1500;
  EXPECT_EQ(clock.NowMs(), 1500);
  wall.now = 400;  // a step back of 1.1 s
  EXPECT_EQ(clock.NowMs(), 1500);
  EXPECT_EQ(clock.BehindMs(), 1100);
  wall.now = 1499;
  EXPECT_EQ(clock.NowMs(), 1500);
  wall.now = 1600;  // caught up: follows the source again
  EXPECT_EQ(clock.NowMs(), 1600);
  EXPECT_EQ(clock.BehindMs(), 0);
}

TEST(MonotonicClockTest, FloorOnlyRises) {
  SetClock wall;
  MonotonicClock clock(wall);
  clock.RaiseFloor(5000);
  EXPECT_EQ(clock.NowMs(), 5000);
  clock.RaiseFloor(3000);
  EXPECT_EQ(clock.NowMs(), 5000);
  wall.now = 6000;
  EXPECT_EQ(clock.NowMs(), 6000);
}

// Readings taken one after another on different threads never go backwards, while the
// source jumps back and forth.
TEST(MonotonicClockTest, NeverBackwardsAcrossThreads) {
  SetClock wall;
  MonotonicClock clock(wall);
  std::atomic<bool> stop{false};
  std::thread stepper([&] {
    for (int i = 0; !stop; ++i) wall.now = 1000 + (i % 7) * 100 - (i % 3) * 250;
  });
  std::vector<std::thread> readers;
  std::atomic<int> backwards{0};
  std::atomic<int64_t> shared_last{0};
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      for (int i = 0; i < 100000; ++i) {
        int64_t seen = shared_last.load();
        int64_t now = clock.NowMs();
        if (now < seen) ++backwards;
        int64_t cur = shared_last.load();
        while (now > cur && !shared_last.compare_exchange_weak(cur, now)) {
        }
      }
    });
  }
  for (auto& r : readers) r.join();
  stop = true;
  stepper.join();
  EXPECT_EQ(backwards.load(), 0);
}

}  // namespace
}  // namespace urna
