// KafkaLogReader against librdkafka's mock cluster: reading from any offset (seeking back), and
// starting an assigned partition where the listener says. Rebalances between two readers:
// kafka_group_processor_test.cc.
#include "adapters/kafka/kafka_log_reader.h"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <functional>
#include <set>
#include <thread>

#include "adapters/kafka/kafka_mock_process.h"
#include "adapters/kafka/kafka_vote_log.h"
#include "core/partition.h"
#include "sync/mutex.h"

namespace urna::kafka {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr char kTopic[] = "votes";
constexpr uint32_t kPartitions = 4;

bool WaitFor(const std::function<bool()>& done, std::chrono::seconds bound) {
  auto deadline = Clock::now() + bound;
  while (!done()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return true;
}

// Records the assignment it is told of; says partitions start at `starts` (if listed).
class RecordingListener : public AssignmentListener {
 public:
  std::map<uint32_t, uint64_t> starts;
  std::map<uint32_t, uint64_t> OnAssigned(const std::vector<uint32_t>& ps) override {
    MutexLock lock(mu_);
    for (uint32_t p : ps) owned_.insert(p);
    std::map<uint32_t, uint64_t> out;
    for (uint32_t p : ps) {
      if (starts.contains(p)) out[p] = starts.at(p);
    }
    return out;
  }
  void OnRevoked(const std::vector<uint32_t>& ps) override {
    MutexLock lock(mu_);
    for (uint32_t p : ps) owned_.erase(p);
    ++revocations_;
  }
  std::set<uint32_t> owned() {
    MutexLock lock(mu_);
    return owned_;
  }

 private:
  Mutex mu_;
  std::set<uint32_t> owned_ GUARDED_BY(mu_);
  int revocations_ GUARDED_BY(mu_) = 0;
};

class KafkaLogReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    spdlog::set_level(spdlog::level::warn);
    std::string error;
    mock_ = testing::KafkaMockProcess::Start(3, {{kTopic, kPartitions}}, &error);
    ASSERT_TRUE(mock_) << error;
    auto c = KafkaConfig::Make(mock_->bootstrap(), kTopic, "");
    ASSERT_TRUE(c.ok());
    config_ = *c;
    // Rebalances in seconds, not the defaults' tens of seconds.
    // (the mock waits session.timeout.ms - 1 s for members to rejoin; below ~4 s its first
    // join, which waits 3 s, outlives the session and never completes).
    config_.properties = {{"heartbeat.interval.ms", "200"}, {"session.timeout.ms", "4000"}};
  }
  // Appends `n` votes of distinct voters and waits for their acknowledgements.
  void Produce(int n) {
    auto log = KafkaVoteLog::Open(config_, {});
    ASSERT_TRUE(log.ok()) << log.status().message();
    Mutex mu;
    int ok = 0, done = 0;
    for (int i = 0; i < n; ++i) {
      (*log)->Append({"v" + std::to_string(i), "e1", "a", "voter-" + std::to_string(i), 1, "n"},
                     [&](Status s) {
                       MutexLock lock(mu);
                       ++done;
                       ok += s.ok();
                     });
    }
    (*log)->Drain();
    MutexLock lock(mu);
    ASSERT_EQ(done, n);
    ASSERT_EQ(ok, n);
  }

  std::unique_ptr<testing::KafkaMockProcess> mock_;
  KafkaConfig config_;
};

TEST_F(KafkaLogReaderTest, ReadsFromAnyOffsetSeekingBackAfterAFailedBatch) {
  Produce(40);
  auto reader = KafkaLogReader::Open(config_, {});
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  KafkaLogReader& r = **reader;
  const uint32_t p = PartitionFor("e1", "voter-0", kPartitions);
  auto end = r.EndOffset(p);
  ASSERT_TRUE(end.ok());
  ASSERT_GE(*end, 3u);
  std::vector<LogEntry> first;
  ASSERT_TRUE(WaitFor(
      [&] {
        auto got = r.Read(p, 0, 2, milliseconds(100));
        if (got.ok()) first = std::move(*got);
        return !first.empty();
      },
      std::chrono::seconds(20)));
  ASSERT_EQ(first.size(), 2u);  // at most `max`
  EXPECT_EQ(first[0].offset, 0u);
  // Reading on continues where the batch ended, without a seek.
  auto next = r.Read(p, first[1].offset + 1, 1000, milliseconds(2000));
  ASSERT_TRUE(next.ok());
  ASSERT_FALSE(next->empty());
  EXPECT_EQ(next->front().offset, first[1].offset + 1);
  EXPECT_EQ(r.stats().seeks, 0u);
  // A batch whose checkpoint failed is read again from its start: the reader seeks back.
  auto again = r.Read(p, first[1].offset, 1000, milliseconds(5000));
  ASSERT_TRUE(again.ok());
  ASSERT_FALSE(again->empty());
  EXPECT_EQ(again->front().offset, first[1].offset);
  EXPECT_EQ(again->front().vote.vote_id, first[1].vote.vote_id);
  EXPECT_EQ(r.stats().seeks, 1u);
  EXPECT_EQ(again->back().offset + 1, *end);
}

TEST_F(KafkaLogReaderTest, AnOffsetTheLogDoesNotHaveIsAnErrorNeverASilentJump) {
  Produce(10);
  auto reader = KafkaLogReader::Open(config_, {});
  ASSERT_TRUE(reader.ok());
  const uint32_t p = PartitionFor("e1", "voter-0", kPartitions);
  auto end = (*reader)->EndOffset(p);
  ASSERT_TRUE(end.ok());
  // A checkpoint beyond the log's end (say, the topic was made again): reading there must not
  // restart at some other offset and hand out entries as if they came next.
  Status error;
  bool answered = WaitFor(
      [&] {
        auto got = (*reader)->Read(p, *end + 100, 10, milliseconds(200));
        if (got.ok()) {
          EXPECT_TRUE(got->empty()) << "entries returned from offset " << got->front().offset;
          return !got->empty();
        }
        error = got.status();
        return true;
      },
      std::chrono::seconds(20));
  ASSERT_TRUE(answered);
  EXPECT_EQ(error.code(), Code::kUnavailable) << error.message();
}

// A member takes every partition, commits `committed` for `p` to the group and leaves; the next
// member is told by its listener to start `p` at `start`: reading starts there, without a seek,
// whatever the group's committed offset says. Under `strategy` (cooperative or eager).
void StartsWhereTheListenerSays(const KafkaConfig& base, const std::string& strategy) {
  KafkaConfig config = base;
  config.properties.emplace_back("partition.assignment.strategy", strategy);
  const uint32_t p = PartitionFor("e1", "voter-0", kPartitions);
  {
    RecordingListener first;
    auto reader = KafkaLogReader::Open(config, {});
    ASSERT_TRUE(reader.ok());
    ASSERT_TRUE((*reader)->Subscribe(first).ok());
    ASSERT_TRUE(
        WaitFor([&] { return first.owned().size() == kPartitions; }, std::chrono::seconds(30)));
    (*reader)->CommitProgress(p, 5);                 // a previous owner's progress report
    std::this_thread::sleep_for(milliseconds(500));  // (async; not what the check relies on)
    (*reader)->Unsubscribe();
    EXPECT_TRUE(first.owned().empty()) << "leaving revokes everything first";
  }
  RecordingListener l;
  auto reader = KafkaLogReader::Open(config, {});
  ASSERT_TRUE(reader.ok());
  l.starts = {{p, 2}};  // the checkpoint's next offset; the others start at the beginning
  ASSERT_TRUE((*reader)->Subscribe(l).ok());
  ASSERT_TRUE(WaitFor([&] { return l.owned().size() == kPartitions; }, std::chrono::seconds(30)));
  std::vector<LogEntry> got;
  ASSERT_TRUE(WaitFor(
      [&] {
        auto r = (*reader)->Read(p, 2, 100, milliseconds(100));
        if (r.ok()) got = std::move(*r);
        return !got.empty();
      },
      std::chrono::seconds(20)));
  EXPECT_EQ(got.front().offset, 2u);
  EXPECT_EQ((*reader)->stats().seeks, 0u) << "started at the listener's offset, no seek needed";
  (*reader)->Unsubscribe();
  EXPECT_TRUE(l.owned().empty());
}

TEST_F(KafkaLogReaderTest, AnAssignedPartitionStartsWhereTheListenerSays) {
  Produce(40);
  StartsWhereTheListenerSays(config_, "cooperative-sticky");
}

TEST_F(KafkaLogReaderTest, AnAssignedPartitionStartsWhereTheListenerSaysEagerProtocol) {
  Produce(40);
  StartsWhereTheListenerSays(config_, "range");
}

}  // namespace
}  // namespace urna::kafka
