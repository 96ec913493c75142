// KafkaVoteLog against librdkafka's mock cluster (tests/servers/kafka_mock, a process of its
// own): what a vote's completion promises, with brokers up and down.
#include "adapters/kafka/kafka_vote_log.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "adapters/kafka/kafka_log_reader.h"
#include "adapters/kafka/kafka_mock_test_fixture.h"
#include "core/partition.h"
#include "sync/mutex.h"

namespace urna::kafka {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr char kTopic[] = "votes";
constexpr uint32_t kPartitions = 4;

// Completions as they arrive (from the log's poll thread).
class Completions {
 public:
  VoteLog::AppendDone Slot(int i) {
    return [this, i, start = Clock::now()](Status s) {
      MutexLock lock(mu_);
      got_[i] = {s, Clock::now() - start};
      cv_.NotifyAll();
    };
  }
  // Waits until `n` have completed (bounded); true if they did.
  bool WaitFor(size_t n, std::chrono::seconds bound = std::chrono::seconds(30)) {
    MutexLock lock(mu_);
    auto deadline = Clock::now() + bound;
    while (got_.size() < n && cv_.WaitUntil(mu_, deadline)) {
    }
    return got_.size() >= n;
  }
  std::map<int, std::pair<Status, Clock::duration>> got() {
    MutexLock lock(mu_);
    return got_;
  }

 private:
  Mutex mu_;
  CondVar cv_;
  std::map<int, std::pair<Status, Clock::duration>> got_ GUARDED_BY(mu_);
};

VoteEvent Vote(int i, int voter) {
  return {"vote-" + std::to_string(i),      "e1",     i % 2 ? "a" : "b",
          "voter-" + std::to_string(voter), 1000 + i, "node-1"};
}

class KafkaVoteLogTest : public testing::KafkaMockTest {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(StartMock(kTopic, kPartitions)); }
  std::unique_ptr<KafkaVoteLog> OpenLog(KafkaLogOptions o = {}) {
    auto log = KafkaVoteLog::Open(config_, o);
    EXPECT_TRUE(log.ok()) << log.status().message();
    return log.ok() ? std::move(*log) : nullptr;
  }
  // Every entry of `partition` from offset 0 up to its end.
  std::vector<LogEntry> ReadAll(KafkaLogReader& r, uint32_t partition) {
    std::vector<LogEntry> out;
    auto end = r.EndOffset(partition);
    EXPECT_TRUE(end.ok());
    uint64_t from = 0;
    auto deadline = Clock::now() + std::chrono::seconds(30);
    while (end.ok() && from < *end && Clock::now() < deadline) {
      auto got = r.Read(partition, from, 1000, milliseconds(200));
      EXPECT_TRUE(got.ok()) << got.status().message();
      if (!got.ok()) break;
      for (auto& e : *got) {
        from = e.offset + 1;
        out.push_back(std::move(e));
      }
    }
    return out;
  }
};

TEST_F(KafkaVoteLogTest, AcknowledgedVotesAreReadBackInOrderInTheirPartition) {
  auto log = OpenLog();
  ASSERT_TRUE(log);
  EXPECT_EQ(log->partitions(), kPartitions);
  Completions done;
  const int n = 300;
  for (int i = 0; i < n; ++i) log->Append(Vote(i, i % 50), done.Slot(i));  // 6 votes per voter
  ASSERT_TRUE(done.WaitFor(n));
  for (const auto& [i, r] : done.got()) ASSERT_TRUE(r.first.ok()) << i << r.first.message();
  Completions sealed;
  log->AppendSeal({"e1", 5000}, sealed.Slot(0));
  ASSERT_TRUE(sealed.WaitFor(1));
  ASSERT_TRUE(sealed.got()[0].first.ok()) << sealed.got()[0].first.message();

  auto reader = KafkaLogReader::Open(config_, {});
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  size_t votes = 0;
  for (uint32_t p = 0; p < kPartitions; ++p) {
    std::vector<LogEntry> entries = ReadAll(**reader, p);
    ASSERT_FALSE(entries.empty());
    // Each partition holds its voters' votes in the order they were appended, then the seal.
    std::vector<std::string> want;
    for (int i = 0; i < n; ++i) {
      if (PartitionFor("e1", "voter-" + std::to_string(i % 50), kPartitions) == p) {
        want.push_back("vote-" + std::to_string(i));
      }
    }
    std::vector<std::string> got;
    for (size_t k = 0; k + 1 < entries.size(); ++k) {
      EXPECT_FALSE(entries[k].seal);
      EXPECT_EQ(entries[k].partition, p);
      if (k > 0) {
        EXPECT_GT(entries[k].offset, entries[k - 1].offset);
      }
      got.push_back(entries[k].vote.vote_id);
    }
    EXPECT_EQ(got, want) << "partition " << p;
    ASSERT_TRUE(entries.back().seal) << "partition " << p << " ends with the seal";
    EXPECT_EQ(entries.back().seal->election_id, "e1");
    EXPECT_EQ(entries.back().seal->closed_at_ms, 5000);
    votes += got.size();
  }
  EXPECT_EQ(votes, static_cast<size_t>(n));
  auto s = log->stats();
  EXPECT_EQ(s.delivered, n + kPartitions);
  EXPECT_EQ(s.failed, 0u);
  EXPECT_EQ(s.in_flight, 0u);
}

TEST_F(KafkaVoteLogTest, BrokersDownAppendsFailWithinTheDeliveryBoundNeverOkThenRecover) {
  KafkaLogOptions o;
  o.delivery_timeout = milliseconds(1500);
  auto log = OpenLog(o);
  ASSERT_TRUE(log);
  {  // warm: the producer knows the leaders
    Completions warm;
    log->Append(Vote(0, 0), warm.Slot(0));
    ASSERT_TRUE(warm.WaitFor(1));
    ASSERT_TRUE(warm.got()[0].first.ok());
  }
  for (int b = 1; b <= 3; ++b) ASSERT_TRUE(mock_->Command("down " + std::to_string(b)));
  Completions done;
  const int n = 40;
  for (int i = 0; i < n; ++i) log->Append(Vote(100 + i, i), done.Slot(i));
  ASSERT_TRUE(done.WaitFor(n)) << "every append completes";
  for (const auto& [i, r] : done.got()) {
    EXPECT_FALSE(r.first.ok()) << "vote " << i << " acknowledged while every broker was down";
    EXPECT_EQ(r.first.code(), Code::kUnavailable) << r.first.message();
    // The bound, with a margin for the report's way back (never the 30 s of a default).
    EXPECT_LT(r.second, milliseconds(1500 + 2000)) << "vote " << i;
  }
  Completions seal;
  log->AppendSeal({"e1", 1}, seal.Slot(0));
  ASSERT_TRUE(seal.WaitFor(1));
  EXPECT_FALSE(seal.got()[0].first.ok()) << "a seal no partition took is not done";

  for (int b = 1; b <= 3; ++b) ASSERT_TRUE(mock_->Command("up " + std::to_string(b)));
  // Recovers by itself: appends are acknowledged again once the brokers are back.
  bool recovered = false;
  for (int attempt = 0; attempt < 20 && !recovered; ++attempt) {
    Completions again;
    log->Append(Vote(1000 + attempt, 7), again.Slot(0));
    ASSERT_TRUE(again.WaitFor(1));
    recovered = again.got()[0].first.ok();
  }
  EXPECT_TRUE(recovered);
}

TEST_F(KafkaVoteLogTest, LeadersMovingAndBrokersDroppingUnderLoadDuplicateNothing) {
  auto log = OpenLog();
  ASSERT_TRUE(log);
  Completions done;
  const int n = 3000;
  std::atomic<bool> moving{true};
  // Partition leaders hop between the brokers while votes go in, and now and then a broker
  // drops its connections (requests in flight lose their answers: the producer retries them).
  std::thread mover([&] {
    for (int round = 0; moving && round < 200; ++round) {
      for (uint32_t p = 0; p < kPartitions; ++p) {
        mock_->Command("leader " + std::string(kTopic) + " " + std::to_string(p) + " " +
                       std::to_string((p + round) % 3 + 1));
      }
      if (round % 5 == 4) {
        const std::string b = std::to_string(round % 3 + 1);
        mock_->Command("down " + b);
        std::this_thread::sleep_for(milliseconds(30));
        mock_->Command("up " + b);
      }
      std::this_thread::sleep_for(milliseconds(20));
    }
  });
  for (int i = 0; i < n; ++i) {
    log->Append(Vote(i, i), done.Slot(i));
    if (i % 100 == 99) std::this_thread::sleep_for(milliseconds(5));
  }
  bool all = done.WaitFor(n);
  moving = false;
  mover.join();
  ASSERT_TRUE(all);
  std::set<std::string> acked;
  for (const auto& [i, r] : done.got()) {
    if (r.first.ok()) acked.insert("vote-" + std::to_string(i));
  }
  EXPECT_GT(acked.size(), static_cast<size_t>(n / 2)) << "most votes get through";

  auto reader = KafkaLogReader::Open(config_, {});
  ASSERT_TRUE(reader.ok());
  std::map<std::string, int> seen;
  for (uint32_t p = 0; p < kPartitions; ++p) {
    for (const auto& e : ReadAll(**reader, p)) ++seen[e.vote.vote_id];
  }
  for (const auto& id : acked) EXPECT_EQ(seen[id], 1) << id << " acknowledged: once in the log";
  for (const auto& [id, count] : seen) {
    EXPECT_EQ(count, 1) << id << " written twice (the idempotent producer's retries)";
  }
}

TEST_F(KafkaVoteLogTest, AFatalProducerErrorIsAnsweredAndTheLogRecoversByItself) {
  auto log = OpenLog();
  ASSERT_TRUE(log);
  {
    Completions before;
    log->Append(Vote(0, 0), before.Slot(0));
    ASSERT_TRUE(before.WaitFor(1));
    ASSERT_TRUE(before.got()[0].first.ok());
  }
  // An idempotent producer cannot go on after a fatal error (librdkafka fails every append):
  // the log replaces it with a new one.
  log->InjectFatalErrorForTest();
  bool recovered = false;
  for (int attempt = 0; attempt < 200 && !recovered; ++attempt) {
    Completions again;
    log->Append(Vote(100 + attempt, 100 + attempt), again.Slot(0));
    ASSERT_TRUE(again.WaitFor(1));
    recovered = again.got()[0].first.ok();
    if (!recovered) std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_TRUE(recovered) << "appends are acknowledged again without a restart";
  EXPECT_EQ(log->stats().restarts, 1u);
  Completions seal;
  log->AppendSeal({"e1", 1}, seal.Slot(0));
  ASSERT_TRUE(seal.WaitFor(1));
  EXPECT_TRUE(seal.got()[0].first.ok()) << seal.got()[0].first.message();
}

TEST_F(KafkaVoteLogTest, InFlightBoundRefusesAtOnceAndMemoryStaysBounded) {
  KafkaLogOptions o;
  o.delivery_timeout = milliseconds(1500);
  o.max_in_flight = 5;
  auto log = OpenLog(o);
  ASSERT_TRUE(log);
  for (int b = 1; b <= 3; ++b) ASSERT_TRUE(mock_->Command("down " + std::to_string(b)));
  Completions done;
  std::atomic<int> refused_inline{0};
  for (int i = 0; i < 5; ++i) log->Append(Vote(i, i), done.Slot(i));
  for (int i = 5; i < 12; ++i) {
    bool inline_done = false;
    log->Append(Vote(i, i), [&](Status s) {
      inline_done = true;
      EXPECT_EQ(s.code(), Code::kUnavailable);
      EXPECT_NE(s.message().find("in flight"), std::string::npos) << s.message();
    });
    refused_inline += inline_done;  // answered before Append returned
  }
  EXPECT_EQ(refused_inline.load(), 7);
  EXPECT_EQ(log->stats().in_flight, 5u);
  EXPECT_EQ(log->stats().refused, 7u);
  ASSERT_TRUE(done.WaitFor(5));
  for (const auto& [i, r] : done.got()) EXPECT_FALSE(r.first.ok());
  // The slot is given back right after the completion ran.
  auto deadline = Clock::now() + std::chrono::seconds(10);
  while (log->stats().in_flight != 0 && Clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  EXPECT_EQ(log->stats().in_flight, 0u);
}

TEST_F(KafkaVoteLogTest, FlushWaitsForEarlierAppendsAndDrainRefusesNewOnes) {
  auto log = OpenLog();
  ASSERT_TRUE(log);
  Completions done;
  for (int i = 0; i < 50; ++i) log->Append(Vote(i, i), done.Slot(i));
  ASSERT_TRUE(log->Flush(std::chrono::seconds(20)));
  EXPECT_EQ(done.got().size(), 50u) << "Flush returned before every earlier append completed";
  log->Drain();
  Status after;
  log->Append(Vote(99, 99), [&](Status s) { after = s; });
  EXPECT_EQ(after.code(), Code::kUnavailable);
}

TEST_F(KafkaVoteLogTest, NoClusterAtStartIsAClearErrorWithinItsBound) {
  for (int b = 1; b <= 3; ++b) ASSERT_TRUE(mock_->Command("down " + std::to_string(b)));
  KafkaLogOptions o;
  o.metadata_timeout = milliseconds(1500);
  const auto start = Clock::now();
  auto log = KafkaVoteLog::Open(config_, o);
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), Code::kUnavailable) << log.status().message();
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(10));
}

TEST_F(KafkaVoteLogTest, MissingTopicIsAClearError) {
  KafkaConfig c = config_;
  c.topic = "no-such-topic";
  KafkaLogOptions o;
  o.metadata_timeout = milliseconds(5000);
  auto log = KafkaVoteLog::Open(c, o);
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), Code::kNotFound) << log.status().message();
  EXPECT_NE(log.status().message().find("urna init"), std::string::npos);
}

}  // namespace
}  // namespace urna::kafka
