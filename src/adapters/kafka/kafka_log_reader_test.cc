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

#include "adapters/kafka/kafka_handle.h"
#include "adapters/kafka/kafka_mock_test_fixture.h"
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

class KafkaLogReaderTest : public testing::KafkaMockTest {
 protected:
  void SetUp() override {
    spdlog::set_level(spdlog::level::warn);
    ASSERT_NO_FATAL_FAILURE(StartMock(kTopic, kPartitions));
    FastRebalances();
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

  // Produces `value` as it is (not a urna record) to `partition`, and waits for it.
  void ProduceRaw(uint32_t partition, const std::string& value) {
    auto conf = NewConf(config_, {}, {});
    ASSERT_TRUE(conf.ok());
    auto rk = NewHandle(RD_KAFKA_PRODUCER, std::move(*conf));
    ASSERT_TRUE(rk.ok());
    ASSERT_EQ(rd_kafka_producev(rk->get(), RD_KAFKA_V_TOPIC(kTopic),
                                RD_KAFKA_V_PARTITION(static_cast<int32_t>(partition)),
                                RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
              RD_KAFKA_RESP_ERR_NO_ERROR);
    ASSERT_EQ(rd_kafka_flush(rk->get(), 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  // The offsets of `p` from `from` to `end`, read by Reads of at most `max` entries waiting
  // `wait`; stops at the first error or after `bound`. `before_read(k)` runs before Read k.
  static std::vector<uint64_t> Offsets(
      KafkaLogReader& r, uint32_t p, uint64_t from, uint64_t end, size_t max,
      std::chrono::seconds bound, Status* error, milliseconds wait = milliseconds(500),
      const std::function<void(int)>& before_read = [](int) {}) {
    std::vector<uint64_t> out;
    const auto deadline = Clock::now() + bound;
    for (int k = 0; from < end && Clock::now() < deadline; ++k) {
      before_read(k);
      auto got = r.Read(p, from, max, wait);
      if (!got.ok()) {
        *error = got.status();
        break;
      }
      for (const auto& e : *got) out.push_back(e.offset);
      if (!got->empty()) from = got->back().offset + 1;
    }
    return out;
  }
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

// The app gives one reader to every recount job: two elections recounted at once replay the
// same partitions from different offsets at the same time. Each replay reads every entry in
// order, none skipped because the other moved the partition's fetch position.
TEST_F(KafkaLogReaderTest, ConcurrentReplaysOfOnePartitionEachReadEveryOffsetInOrder) {
  Produce(1600);
  // After a seek, the fetch at the new offset waits for the one in flight, a long poll at the
  // partition's end: 100 ms instead of 500 keeps this test's many seeks fast.
  config_.properties.emplace_back("fetch.wait.max.ms", "100");
  const uint32_t p = PartitionFor("e1", "voter-0", kPartitions);
  auto reader = KafkaLogReader::Open(config_, {});
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  KafkaLogReader& r = **reader;
  auto end = r.EndOffset(p);
  ASSERT_TRUE(end.ok());
  ASSERT_GE(*end, 200u);
  Status error;
  // The partition's offsets (they may have gaps), read alone.
  const std::vector<uint64_t> all =
      Offsets(r, p, 0, *end, 100000, std::chrono::seconds(30), &error);
  ASSERT_TRUE(error.ok()) << error.message();
  ASSERT_EQ(all.back() + 1, *end);
  const size_t mid = all.size() / 3;

  // The replays run side by side and take turns: neither starts its Read k+1 before the other
  // has finished its Read k (or its replay), so their Reads overlap and alternate.
  Mutex mu;
  CondVar cv;
  int reads[2] = {0, 0};
  bool finished[2] = {false, false};
  auto replay = [&](int me, uint64_t from, std::vector<uint64_t>* got, Status* error) {
    *got =
        Offsets(r, p, from, *end, 8, std::chrono::seconds(40), error, milliseconds(20), [&](int k) {
          MutexLock lock(mu);
          if (k > 0) ++reads[me];
          cv.NotifyAll();
          const auto deadline = Clock::now() + std::chrono::seconds(10);
          while (reads[1 - me] < k && !finished[1 - me] && cv.WaitUntil(mu, deadline)) {
          }
        });
    MutexLock lock(mu);
    finished[me] = true;
    cv.NotifyAll();
  };
  std::vector<uint64_t> a, b;
  Status error_a, error_b;
  std::thread ta(replay, 0, 0, &a, &error_a);
  std::thread tb(replay, 1, all[mid], &b, &error_b);
  ta.join();
  tb.join();
  ASSERT_TRUE(error_a.ok()) << error_a.message();
  ASSERT_TRUE(error_b.ok()) << error_b.message();
  EXPECT_EQ(a, all) << "the replay from 0 missed or reordered entries";
  EXPECT_EQ(b, std::vector<uint64_t>(all.begin() + static_cast<ptrdiff_t>(mid), all.end()))
      << "the replay from " << all[mid] << " missed or reordered entries";
  EXPECT_GT(r.stats().seeks, 20u) << "the two replays took turns on the partition";
}

// A replay whose position another replay moved seeks back; its Read then waits for the entries
// the partition is known to have at its offset, even when asked not to wait (the fetch after a
// seek waits for the long poll in flight at the partition's end): an empty answer would read
// as "nothing there" and have the next Read, maybe the other replay's, seek again.
TEST_F(KafkaLogReaderTest, AReadAfterASeekWaitsForTheEntriesThePartitionHas) {
  Produce(40);
  const uint32_t p = PartitionFor("e1", "voter-0", kPartitions);
  auto reader = KafkaLogReader::Open(config_, {});
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  KafkaLogReader& r = **reader;
  auto end = r.EndOffset(p);
  ASSERT_TRUE(end.ok());
  Status error;
  std::vector<uint64_t> all = Offsets(r, p, 0, *end, 1000, std::chrono::seconds(20), &error);
  ASSERT_TRUE(error.ok()) << error.message();
  ASSERT_EQ(all.back() + 1, *end);
  ASSERT_EQ(r.stats().seeks, 0u);
  auto again = r.Read(p, 0, 1000, milliseconds(0));
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(r.stats().seeks, 1u);
  ASSERT_FALSE(again->empty()) << "a Read after a seek answered empty";
  EXPECT_EQ(again->front().offset, 0u);
}

// A record that is not a urna LogRecord at a partition's tail is passed once (logged, counted):
// the reader's position moves past it, so idle reads do not go back to it again and again,
// and the next vote behind it is read.
TEST_F(KafkaLogReaderTest, AnUndecodableRecordAtTheTailIsPassedOnce) {
  Produce(10);
  const uint32_t p = PartitionFor("e1", "voter-0", kPartitions);
  ProduceRaw(p, "\xff\xff\xff not a urna record");
  auto reader = KafkaLogReader::Open(config_, {});
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  KafkaLogReader& r = **reader;
  auto end = r.EndOffset(p);
  ASSERT_TRUE(end.ok());
  const uint64_t garbage = *end - 1;
  Status error;
  std::vector<uint64_t> votes = Offsets(r, p, 0, garbage, 1000, std::chrono::seconds(20), &error);
  ASSERT_TRUE(error.ok()) << error.message();
  ASSERT_FALSE(votes.empty());
  ASSERT_EQ(votes.back() + 1, garbage);
  const uint64_t seeks = r.stats().seeks;

  // The processor's idle steps: Read from the record's offset, again and again.
  ASSERT_TRUE(WaitFor(
      [&] {
        auto got = r.Read(p, garbage, 100, milliseconds(100));
        EXPECT_TRUE(got.ok() && got->empty());
        return r.stats().skipped > 0;
      },
      std::chrono::seconds(20)));
  for (int k = 0; k < 5; ++k) {
    auto got = r.Read(p, garbage, 100, milliseconds(100));
    ASSERT_TRUE(got.ok()) << got.status().message();
    EXPECT_TRUE(got->empty());
  }
  EXPECT_EQ(r.stats().skipped, 1u) << "the record was read again";
  EXPECT_EQ(r.stats().seeks, seeks) << "the reader went back to the record";

  // The next vote of the partition comes next.
  int voter = 0;
  while (PartitionFor("e1", "late-" + std::to_string(voter), kPartitions) != p) ++voter;
  {
    auto log = KafkaVoteLog::Open(config_, {});
    ASSERT_TRUE(log.ok());
    (*log)->Append({"late", "e1", "a", "late-" + std::to_string(voter), 1, "n"}, [](Status) {});
    (*log)->Drain();
  }
  std::vector<LogEntry> late;
  ASSERT_TRUE(WaitFor(
      [&] {
        auto got = r.Read(p, garbage, 100, milliseconds(200));
        if (got.ok()) late = std::move(*got);
        return !late.empty();
      },
      std::chrono::seconds(20)));
  EXPECT_EQ(late.front().offset, garbage + 1);
  EXPECT_EQ(late.front().vote.vote_id, "late");
  EXPECT_EQ(r.stats().skipped, 1u);
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
