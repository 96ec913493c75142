// The read side's scheduling (--stream-sched, --stream-nice) as the kernel reports it: the
// helper on a thread of its own, then the real HttpServer's urna-stream thread against its
// urna-http threads, read back from /proc and sched_getscheduler. The tests compare against
// SCHED_OTHER, so they skip when the test process itself runs under another policy (chrt).
#include "net/thread_priority.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "net/http_server.h"
#include "net/router.h"

namespace urna::net {
namespace {

constexpr auto kDeadline = std::chrono::seconds(30);  // generous: a loaded CI machine

struct Priority {
  int policy = -1;
  int nice = 0;
};

Priority Of(pid_t tid) {
  Priority p;
  p.policy = sched_getscheduler(tid);
  errno = 0;
  p.nice = getpriority(PRIO_PROCESS, static_cast<id_t>(tid));
  return p;
}

// The expectations below assume the process (and so every thread it starts) runs SCHED_OTHER:
// under another policy (chrt) these tests are skipped.
class SchedOtherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const int policy = sched_getscheduler(0); policy != SCHED_OTHER) {
      GTEST_SKIP() << "the test process runs under policy " << policy << ", not SCHED_OTHER";
    }
  }
};
using LowerCurrentThreadTest = SchedOtherTest;
using HttpServerStreamSched = SchedOtherTest;

// The ids of this process's threads named `name` (/proc/self/task/*/comm).
std::vector<pid_t> ThreadsNamed(const std::string& name) {
  std::vector<pid_t> out;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string c;
    if (std::getline(comm, c) && c == name) {
      out.push_back(static_cast<pid_t>(std::stoi(task.path().filename().string())));
    }
  }
  return out;
}

TEST(StreamSched, NamesParseBackAndAnythingElseIsRefused) {
  for (auto s : {StreamSched::kNormal, StreamSched::kIdle}) {
    EXPECT_EQ(ParseStreamSched(StreamSchedName(s)), s);
  }
  EXPECT_FALSE(ParseStreamSched("IDLE").has_value());
  EXPECT_FALSE(ParseStreamSched("batch").has_value());
  EXPECT_FALSE(ParseStreamSched("").has_value());
}

// Lowering is the calling thread's alone: the thread that asked gets SCHED_IDLE (or the added
// niceness), the rest of the process keeps its own.
TEST_F(LowerCurrentThreadTest, ChangesOnlyTheCallingThread) {
  const Priority main_before = Of(gettid());
  ASSERT_EQ(main_before.policy, SCHED_OTHER);
  Priority idle, niced;
  Status idle_status, nice_status;
  std::thread([&] {
    idle_status = LowerCurrentThread(StreamSched::kIdle, 0);
    idle = Of(gettid());
  }).join();
  std::thread([&] {
    nice_status = LowerCurrentThread(StreamSched::kNormal, 5);
    niced = Of(gettid());
  }).join();
  ASSERT_TRUE(idle_status.ok()) << idle_status.message();
  ASSERT_TRUE(nice_status.ok()) << nice_status.message();
  EXPECT_EQ(idle.policy, SCHED_IDLE);
  EXPECT_EQ(niced.policy, SCHED_OTHER);
  EXPECT_EQ(niced.nice, std::min(19, main_before.nice + 5));
  const Priority main_after = Of(gettid());
  EXPECT_EQ(main_after.policy, main_before.policy);
  EXPECT_EQ(main_after.nice, main_before.nice);
}

// The server's read-side thread carries what the options say, its network threads do not.
// Waits (bounded) for the thread to have applied it: it does so as it starts.
void ExpectServerThreads(StreamSched sched, int nice, int want_policy, int want_nice_add) {
  Router router;
  HttpServerOptions o;
  o.host = "127.0.0.1";
  o.port = 0;
  o.threads = 1;
  o.stream_threads = 1;
  o.stream_sched = sched;
  o.stream_nice = nice;
  const int base = Of(gettid()).nice;
  HttpServer server(o, router);
  ASSERT_TRUE(server.Start().ok());
  // Each thread names itself as it starts: wait until both have, and the read side's priority
  // is what it should be.
  Priority stream;
  std::vector<pid_t> http;
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  do {
    auto ids = ThreadsNamed("urna-stream");
    if (ids.size() == 1) stream = Of(ids[0]);
    http = ThreadsNamed("urna-http");
    if (http.size() == 1 && stream.policy == want_policy &&
        stream.nice == std::min(19, base + want_nice_add)) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  } while (std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(stream.policy, want_policy);
  EXPECT_EQ(stream.nice, std::min(19, base + want_nice_add));
  ASSERT_EQ(http.size(), 1u);
  EXPECT_EQ(Of(http[0]).policy, SCHED_OTHER);
  EXPECT_EQ(Of(http[0]).nice, base);
  server.Stop(std::chrono::milliseconds(0));
}

TEST_F(HttpServerStreamSched, IdleRunsTheReadSideUnderSchedIdle) {
  ExpectServerThreads(StreamSched::kIdle, 0, SCHED_IDLE, 0);
}

TEST_F(HttpServerStreamSched, NormalNicesTheReadSideOnly) {
  ExpectServerThreads(StreamSched::kNormal, 10, SCHED_OTHER, 10);
}

TEST_F(HttpServerStreamSched, IdleKeepsTheNicenessItWasGiven) {
  ExpectServerThreads(StreamSched::kIdle, 3, SCHED_IDLE, 3);
}

// With the streams on the network threads (stream_threads = 0) there is no read-side thread, and
// `idle` must not reach the threads that take votes.
TEST_F(HttpServerStreamSched, IdleWithoutReadSideThreadsLeavesNetworkThreadsAlone) {
  Router router;
  HttpServerOptions o;
  o.host = "127.0.0.1";
  o.port = 0;
  o.threads = 2;
  o.stream_threads = 0;
  o.stream_sched = StreamSched::kIdle;
  o.stream_nice = 5;
  const int base = Of(gettid()).nice;
  HttpServer server(o, router);
  ASSERT_TRUE(server.Start().ok());
  std::vector<pid_t> http;
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  while ((http = ThreadsNamed("urna-http")).size() < 2 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(http.size(), 2u);
  EXPECT_TRUE(ThreadsNamed("urna-stream").empty());
  for (pid_t tid : http) {
    EXPECT_EQ(Of(tid).policy, SCHED_OTHER) << "thread " << tid;
    EXPECT_EQ(Of(tid).nice, base) << "thread " << tid;
  }
  server.Stop(std::chrono::milliseconds(0));
}

}  // namespace
}  // namespace urna::net
