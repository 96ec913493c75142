// Test-only (dynamodb_state_test): the fixture of the processor state's tests against dynalite
// and the fault proxy (one of each per test binary), and clients that make a real client behave
// as a dying process or a throttled DynamoDB would. One test thread.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <functional>
#include <thread>

#include "adapters/dynamodb/dynalite_test_fixture.h"
#include "adapters/dynamodb/dynamo_checkpoint_read_model.h"
#include "adapters/dynamodb/dynamo_ledger.h"
#include "adapters/dynamodb/dynamo_processor_state.h"
#include "adapters/memory/memory_catalog.h"
#include "adapters/memory/memory_read_model.h"
#include "adapters/memory/memory_vote_log.h"
#include "core/partition.h"
#include "core/uuid7.h"
#include "processor/partition_processor.h"

namespace urna::dynamodb {

// Polls `cond` every 10 ms until it holds or 10 s pass.
inline bool WaitFor(const std::function<bool()>& cond) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!cond()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

// A client whose requests to one table fail (kUnavailable) while `fail` is set, as a processor
// that dies before that step would leave it: the real client otherwise.
class TableFailingClient final : public DynamoClient {
 public:
  TableFailingClient(DynamoClient& inner, std::string table)
      : inner_(inner), needle_("\"TableName\":\"" + table + "\"") {}
  Result<std::string> Call(const DynamoRequest& r) override {
    if (Fails(r)) return Status(Code::kUnavailable, "injected: process died here");
    return inner_.Call(r);
  }
  std::vector<Result<std::string>> CallAll(const std::vector<DynamoRequest>& rs) override {
    std::vector<Result<std::string>> out;
    for (const auto& r : rs) out.push_back(Call(r));
    return out;
  }
  std::atomic<bool> fail{true};

 private:
  bool Fails(const DynamoRequest& r) const {
    return fail && r.body.find(needle_) != std::string::npos;
  }
  DynamoClient& inner_;
  const std::string needle_;
};

// A client through which BatchGetItem answers as a throttled DynamoDB does while `rounds` > 0:
// only the first key of each request is read, the others come back in UnprocessedKeys.
class UnprocessingClient final : public DynamoClient {
 public:
  explicit UnprocessingClient(DynamoClient& inner) : inner_(inner) {}
  Result<std::string> Call(const DynamoRequest& r) override {
    if (r.operation != "BatchGetItem" || rounds <= 0) return inner_.Call(r);
    --rounds;
    namespace json = boost::json;
    json::object req = json::parse(r.body).as_object();
    json::object& items = req["RequestItems"].as_object();
    const std::string table(items.begin()->key());
    json::object& spec = items.begin()->value().as_object();
    json::array keys = spec["Keys"].as_array();
    json::object left = spec;
    left["Keys"] = json::array(keys.begin() + 1, keys.end());
    spec["Keys"] = json::array{keys[0]};
    auto res = inner_.Call({r.operation, json::serialize(req)});
    if (!res.ok()) return res;
    json::object out = json::parse(*res).as_object();
    if (keys.size() > 1) out["UnprocessedKeys"] = json::object{{table, left}};
    return json::serialize(out);
  }
  std::vector<Result<std::string>> CallAll(const std::vector<DynamoRequest>& rs) override {
    std::vector<Result<std::string>> out;
    for (const auto& r : rs) out.push_back(Call(r));
    return out;
  }
  std::atomic<int> rounds{0};

 private:
  DynamoClient& inner_;
};

class DynamoStateTest : public testing::DynaliteTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(DynaliteTest::SetUp());
    client_ = Client(dynalite_->endpoint());
    tables_.prefix = testing::UniqueName("s") + "-";
    tables_.topic = "votes";
    tables_.ledger_shards = 8;
    for (const auto& spec : StateTableSpecs(tables_.prefix)) {
      auto made = EnsureTable(*client_, spec);
      ASSERT_TRUE(made.ok()) << made.status().message();
    }
    Election e{"e1", "T", {{"a", "A"}, {"b", "B"}}, ElectionStatus::kDraft, 0, 0, 0};
    ASSERT_TRUE(OpenElection(e, 100).ok());
    ASSERT_TRUE(catalog_.Create(e).ok());
  }
  DynamoLedger Ledger(memory::MemoryLog* log = nullptr) {
    return DynamoLedger(*client_, tables_, log != nullptr ? log->partitions() : 1,
                        [log](uint32_t p) -> Result<uint64_t> {
                          if (log == nullptr) return uint64_t{0};
                          return log->EndOffset(p);
                        });
  }
  // The receipt of a vote, expected to exist.
  Receipt Find(DynamoLedger& ledger, const std::string& voter, const std::string& vote_id,
               const std::string& election = "e1") {
    auto r = ledger.FindReceipt(election, voter, vote_id);
    EXPECT_TRUE(r.ok()) << r.status().message();
    EXPECT_TRUE(r.ok() && r->has_value()) << vote_id << " has no receipt";
    return r.ok() && r->has_value() ? **r : Receipt{};
  }
  static void Vote(memory::MemoryLog& log, std::string id, std::string voter, std::string option,
                   std::string election = "e1") {
    log.Append({std::move(id), std::move(election), std::move(option), std::move(voter), 150, "n"},
               [](Status) {});
  }
  // Appends votes of `n` distinct voters that all land in `partition` of `log`.
  static std::vector<std::string> VotersOf(const memory::MemoryLog& log, uint32_t partition, int n,
                                           const std::string& prefix = "voter") {
    std::vector<std::string> out;
    for (int i = 0; static_cast<int>(out.size()) < n && i < 10000; ++i) {
      std::string v = prefix + std::to_string(i);
      if (PartitionFor("e1", v, log.partitions()) == partition) out.push_back(v);
    }
    return out;
  }
  // A commit built by hand: votes at consecutive offsets from `from`.
  static PartitionCommit Batch(uint32_t partition, uint64_t from,
                               std::vector<ProcessedVote> votes) {
    PartitionCommit c;
    c.partition = partition;
    c.from_offset = from;
    uint64_t o = from;
    for (auto& v : votes) {
      v.entry.partition = partition;
      v.entry.offset = o++;
    }
    c.next_offset = o;
    c.votes = std::move(votes);
    c.tally.partition = partition;
    c.tally.next_offset = o;
    return c;
  }
  static ProcessedVote Pv(std::string id, std::string voter, std::string option, Outcome outcome,
                          std::string counted = "") {
    ProcessedVote pv;
    pv.entry.vote = {std::move(id), "e1", std::move(option), std::move(voter), 150, "n"};
    pv.outcome = outcome;
    if (outcome == Outcome::kRejected) pv.reason = kReasonUnknownOption;
    pv.counted_vote_id = std::move(counted);
    return pv;
  }

  std::unique_ptr<DynamoClient> client_;
  StateTables tables_;
  memory::MemoryCatalog catalog_;
  memory::MemoryReadModel rm_;
};
}  // namespace urna::dynamodb
