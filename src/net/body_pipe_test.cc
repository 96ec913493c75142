#include "net/body_pipe.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace urna::net {
namespace {

// A producer far ahead of a slow consumer is held back: the buffer never grows past the bound
// (plus one write), and every byte arrives in order.
TEST(BodyPipe, BackpressureBoundsTheBuffer) {
  BodyPipe pipe(1024);
  std::string row(100, 'x');
  constexpr int kRows = 5000;
  std::thread producer([&] {
    for (int i = 0; i < kRows; ++i) {
      row[0] = static_cast<char>('a' + i % 26);
      ASSERT_TRUE(pipe.Write(row));
    }
    pipe.Finish();
  });
  std::string got, chunk;
  size_t largest = 0;
  std::atomic<int> wakes{0};
  for (;;) {
    auto st = pipe.Take(chunk, [&] { ++wakes; });
    if (st == BodyPipe::State::kDone) break;
    ASSERT_NE(st, BodyPipe::State::kCancelled);
    if (st == BodyPipe::State::kWait) {
      std::this_thread::yield();
      continue;
    }
    largest = std::max(largest, chunk.size());
    got += chunk;
  }
  producer.join();
  EXPECT_LE(largest, 1024u + row.size());
  ASSERT_EQ(got.size(), kRows * row.size());
  for (int i = 0; i < kRows; ++i) ASSERT_EQ(got[i * row.size()], 'a' + i % 26);
}

// A consumer that goes away releases a producer blocked on a full buffer.
TEST(BodyPipe, CancelReleasesABlockedProducer) {
  BodyPipe pipe(10);
  std::atomic<bool> returned{false};
  bool last = true;
  std::thread producer([&] {
    while (pipe.Write("0123456789")) {
    }
    last = false;
    returned = true;
  });
  std::string chunk;
  // Wait until the producer fills the buffer and blocks, then cancel.
  while (pipe.Take(chunk, [] {}) != BodyPipe::State::kData) std::this_thread::yield();
  pipe.Cancel();
  producer.join();
  EXPECT_TRUE(returned);
  EXPECT_FALSE(last);
  EXPECT_EQ(pipe.Take(chunk, [] {}), BodyPipe::State::kCancelled);
}

// The consumer waiting on an empty pipe is woken once data comes.
TEST(BodyPipe, WakesAWaitingConsumer) {
  BodyPipe pipe;
  std::string chunk;
  std::atomic<int> wakes{0};
  EXPECT_EQ(pipe.Take(chunk, [&] { ++wakes; }), BodyPipe::State::kWait);
  EXPECT_TRUE(pipe.Write("abc"));
  EXPECT_EQ(wakes, 1);
  EXPECT_EQ(pipe.Take(chunk, [&] { ++wakes; }), BodyPipe::State::kData);
  EXPECT_EQ(chunk, "abc");
  pipe.Finish();
  EXPECT_EQ(pipe.Take(chunk, [&] { ++wakes; }), BodyPipe::State::kDone);
  EXPECT_EQ(wakes, 1);
}

}  // namespace
}  // namespace urna::net
