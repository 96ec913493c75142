// The checkpoint's size against dynalite: a partition that has counted thousands of elections
// still writes a small checkpoint per batch (the per-election tallies live in their own items,
// written only for the elections a batch changed), and its state loads back whole.
#include "adapters/dynamodb/dynamo_state_test_fixture.h"

namespace urna::dynamodb {
namespace {

using std::chrono::milliseconds;

// The real client, counting the bytes of the write requests sent through it.
class CountingClient final : public DynamoClient {
 public:
  explicit CountingClient(DynamoClient& inner) : inner_(inner) {}
  Result<std::string> Call(const DynamoRequest& r) override {
    Count(r);
    return inner_.Call(r);
  }
  std::vector<Result<std::string>> CallAll(const std::vector<DynamoRequest>& rs) override {
    for (const auto& r : rs) Count(r);
    return inner_.CallAll(rs);
  }
  std::atomic<uint64_t> write_bytes{0};

 private:
  void Count(const DynamoRequest& r) {
    if (r.operation == "PutItem" || r.operation == "UpdateItem" ||
        r.operation == "BatchWriteItem") {
      write_bytes += r.body.size();
    }
  }
  DynamoClient& inner_;
};

// A batch of one counted vote per election, elections `first`..`first + n - 1`.
PartitionCommit ElectionsBatch(uint32_t partition, uint64_t from, int first, int n) {
  PartitionCommit c;
  c.partition = partition;
  c.from_offset = from;
  uint64_t o = from;
  for (int i = first; i < first + n; ++i) {
    ProcessedVote pv;
    std::string election = "election-" + std::to_string(i);
    pv.entry.vote = {"v" + std::to_string(i), election, "option-a", "voter", 150, "n"};
    pv.entry.partition = partition;
    pv.entry.offset = o++;
    pv.outcome = Outcome::kCounted;
    c.tally.elections[election] = {{"option-a", 1}};
    c.votes.push_back(std::move(pv));
  }
  c.next_offset = o;
  c.tally.partition = partition;
  c.tally.next_offset = o;
  return c;
}

TEST_F(DynamoStateTest, ThousandsOfElectionsDoNotGrowTheWriteOfABatch) {
  CountingClient counting(*client_);
  DynamoProcessorState st(counting, tables_);
  ASSERT_TRUE(st.Load(0).ok());
  uint64_t from = 0;
  auto commit = [&](int first, int n) -> uint64_t {
    PartitionCommit c = ElectionsBatch(0, from, first, n);
    const uint64_t before = counting.write_bytes;
    Status s = st.Commit(c);
    EXPECT_TRUE(s.ok()) << s.message();
    from = c.next_offset;
    return counting.write_bytes - before;
  };
  const uint64_t first_batch = commit(0, 1);
  constexpr int kElections = 3000;
  for (int i = 1; i < kElections; i += 100) commit(i, std::min(100, kElections - i));
  const uint64_t last_batch = commit(kElections, 1);
  // The same one-vote batch after 3,000 elections writes what it wrote after one (the old
  // layout rewrote every election's tally in the checkpoint: ~100 KB here, 400 KB and failing
  // past some thousands).
  EXPECT_LE(last_batch, first_batch + 64)
      << "first " << first_batch << " bytes, last " << last_batch << " bytes";
  EXPECT_LT(last_batch, 2048u);

  // Everything loads back, exactly.
  DynamoProcessorState fresh(*client_, tables_);
  auto loaded = fresh.Load(0);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(loaded->tally.next_offset, from);
  ASSERT_EQ(loaded->tally.elections.size(), size_t{kElections + 1});
  for (const auto& [election, counts] : loaded->tally.elections) {
    EXPECT_EQ(counts, (OptionCounts{{"option-a", 1}})) << election;
  }
}

}  // namespace
}  // namespace urna::dynamodb
