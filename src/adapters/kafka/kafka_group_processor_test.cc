// The group processor over the real consumer group (KafkaLogReader on librdkafka's mock
// cluster), the processor state in memory: two processes share the partitions through
// rebalances (join, leave) and every vote is decided exactly once.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <thread>

#include "adapters/kafka/kafka_log_reader.h"
#include "adapters/kafka/kafka_mock_test_fixture.h"
#include "adapters/kafka/kafka_vote_log.h"
#include "adapters/memory/memory_catalog.h"
#include "adapters/memory/memory_processor_state.h"
#include "adapters/memory/memory_read_model.h"
#include "processor/group_processor.h"
#include "sync/mutex.h"

namespace urna::kafka {
namespace {

using std::chrono::milliseconds;

constexpr char kTopic[] = "votes";
constexpr uint32_t kPartitions = 6;

bool WaitFor(const std::function<bool()>& done, std::chrono::seconds bound) {
  auto deadline = std::chrono::steady_clock::now() + bound;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return true;
}

// One `urna process`: its own consumer in the group, the shared state.
struct Process {
  Process(const KafkaConfig& config, ProcessorState& state, Catalog& catalog, ReadModel& rm) {
    auto r = KafkaLogReader::Open(config, {});
    EXPECT_TRUE(r.ok()) << r.status().message();
    reader = std::move(*r);
    GroupProcessorOptions o;
    o.linger = milliseconds(1);
    o.idle_poll = milliseconds(5);
    gp = std::make_unique<GroupProcessor>(*reader, *reader, state, catalog, rm, o);
  }
  std::unique_ptr<KafkaLogReader> reader;
  std::unique_ptr<GroupProcessor> gp;  // stops (and leaves the group) before the reader goes
};

class KafkaGroupProcessorTest : public testing::KafkaMockTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(StartMock(kTopic, kPartitions));
    FastRebalances();
    auto log = KafkaVoteLog::Open(config_, {});
    ASSERT_TRUE(log.ok()) << log.status().message();
    log_ = std::move(*log);
    Election e{"e1", "T", {{"a", "A"}, {"b", "B"}}, ElectionStatus::kDraft, 0, 0, 0};
    ASSERT_TRUE(OpenElection(e, 100).ok());
    ASSERT_TRUE(catalog_.Create(e).ok());
  }
  // Voters from..from+n vote once each, then each votes again (a duplicate); acknowledged.
  void Votes(int from, int n) {
    Mutex mu;
    int ok = 0;
    for (int round = 0; round < 2; ++round) {
      for (int i = from; i < from + n; ++i) {
        log_->Append({(round ? "d" : "v") + std::to_string(i), "e1", i % 2 ? "b" : "a",
                      "voter-" + std::to_string(i), 150, "n"},
                     [&](Status s) {
                       MutexLock lock(mu);
                       ok += s.ok();
                     });
      }
    }
    ASSERT_TRUE(log_->Flush(std::chrono::seconds(30)));
    MutexLock lock(mu);
    ASSERT_EQ(ok, 2 * n);
  }
  bool AllProcessed(KafkaLogReader& r) {
    for (uint32_t p = 0; p < kPartitions; ++p) {
      auto end = r.EndOffset(p);
      if (!end.ok() || *state_.NextOffset(p) != *end) return false;
    }
    return true;
  }

  std::unique_ptr<KafkaVoteLog> log_;
  memory::MemoryProcessorState state_;
  memory::MemoryCatalog catalog_;
  memory::MemoryReadModel rm_;
};

TEST_F(KafkaGroupProcessorTest, TwoProcessesShareThePartitionsAndCountEachVoteOnce) {
  Votes(0, 300);
  Process a(config_, state_, catalog_, rm_);
  ASSERT_TRUE(a.gp->Start().ok());
  ASSERT_TRUE(WaitFor([&] { return AllProcessed(*a.reader); }, std::chrono::seconds(40)))
      << "the only process takes and processes every partition";

  Process b(config_, state_, catalog_, rm_);
  ASSERT_TRUE(b.gp->Start().ok());
  ASSERT_TRUE(WaitFor(
      [&] {
        auto oa = a.gp->owned(), ob = b.gp->owned();
        return !oa.empty() && !ob.empty() && oa.size() + ob.size() == kPartitions;
      },
      std::chrono::seconds(40)))
      << "the second process takes some partitions";
  // Each process reads only its own partitions.
  const uint32_t of_b = b.gp->owned().front();
  auto refused = a.reader->Read(of_b, 0, 10, milliseconds(0));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kUnavailable) << refused.status().message();
  Votes(300, 300);
  ASSERT_TRUE(WaitFor([&] { return AllProcessed(*a.reader); }, std::chrono::seconds(40)));
  EXPECT_GT(b.gp->totals().counted, 0u) << "the second process counted its partitions' votes";

  b.gp->Stop();  // leaves the group: its partitions go back to a
  EXPECT_TRUE(b.gp->owned().empty()) << "leaving revokes every partition first";
  ASSERT_TRUE(
      WaitFor([&] { return a.gp->owned().size() == kPartitions; }, std::chrono::seconds(40)));
  Votes(600, 100);
  ASSERT_TRUE(WaitFor([&] { return AllProcessed(*a.reader); }, std::chrono::seconds(40)));
  a.gp->Stop();

  uint64_t counted = 0, duplicate = 0;
  for (const auto& [id, outcome] : state_.outcomes) {
    counted += outcome == Outcome::kCounted;
    duplicate += outcome == Outcome::kDuplicate;
    if (outcome == Outcome::kCounted) {
      EXPECT_EQ(id[0], 'v') << id;  // the first vote of each voter
    }
  }
  EXPECT_EQ(counted, 700u);
  EXPECT_EQ(duplicate, 700u);
  EXPECT_EQ(state_.outcomes.size(), 1400u);
  EXPECT_EQ(a.gp->totals().counted + b.gp->totals().counted, 700u) << "none decided twice";
  OptionCounts want{{"a", 350}, {"b", 350}};
  EXPECT_EQ(rm_.Votes("e1"), want);
}

}  // namespace
}  // namespace urna::kafka
