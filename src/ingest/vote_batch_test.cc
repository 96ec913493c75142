// IngestService::CastBatch over the memory fakes: per-vote results, refs, the close fence.
#include <gtest/gtest.h>
#include <openssl/sha.h>

#include <chrono>
#include <future>

#include "adapters/memory/memory_admission.h"
#include "adapters/memory/memory_catalog.h"
#include "adapters/memory/memory_gateway_store.h"
#include "adapters/memory/memory_vote_log.h"
#include "core/hex.h"
#include "ingest/ingest_service.h"
#include "ingest/ref_recording_log.h"

namespace urna {
namespace {

class FixedClock : public Clock {
 public:
  int64_t NowMs() const override { return 1000; }
};

class VoteBatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Election e{"e1", "T", {{"a", "A"}, {"b", "B"}}, ElectionStatus::kDraft, 0, 0, 0};
    ASSERT_TRUE(OpenElection(e, 500).ok());
    ASSERT_TRUE(catalog.Create(e).ok());
  }
  // Casts and waits for the answer (it comes from another thread with a RefRecordingLog).
  Result<std::vector<Result<std::string>>> Cast(IngestService& in, std::vector<BatchVote> votes,
                                                std::string election = "e1") {
    std::promise<Result<std::vector<Result<std::string>>>> p;
    in.CastBatch(election, "gw", std::move(votes),
                 [&p](Result<std::vector<Result<std::string>>> r) { p.set_value(std::move(r)); });
    auto f = p.get_future();
    if (f.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
      return Status(Code::kInternal, "not answered");
    }
    return f.get();
  }
  size_t Entries() {
    size_t n = 0;
    for (uint32_t p = 0; p < log.partitions(); ++p) n += *log.EndOffset(p);
    return n;
  }
  memory::MemoryCatalog catalog;
  memory::MemoryLog log{2};
  FixedClock clock;
  memory::MemoryAdmission admission;
  memory::MemoryGateways refs;
};

TEST_F(VoteBatchTest, PerVoteResultsInOrderAndARefTwiceIsOneVote) {
  IngestService in(catalog, log, clock, "n", admission);
  auto r = Cast(in, {{"v1", "a", "r1"},
                     {"v2", "zzz", "r2"},
                     {"v3", "b", "r3"},
                     {"v1", "a", "r1"},
                     {"v9", "a", "r1"},
                     {"v1", "b", "r1"}});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 6u);
  // r1 reused for another voter or another option: refused, not the first vote's id.
  EXPECT_EQ((*r)[4].status().code(), Code::kConflict);
  EXPECT_EQ((*r)[4].status().message(), "ref r1 was already used for another vote");
  EXPECT_EQ((*r)[5].status().code(), Code::kConflict);
  ASSERT_TRUE((*r)[0].ok());
  EXPECT_EQ((*r)[1].status().code(), Code::kUnknownOption);
  ASSERT_TRUE((*r)[2].ok());
  EXPECT_EQ(*(*r)[3], *(*r)[0]);
  EXPECT_NE(*(*r)[2], *(*r)[0]);
  EXPECT_EQ(Entries(), 2u);
}

TEST_F(VoteBatchTest, ClosedOrUnknownElectionFailsTheWholeBatch) {
  IngestService in(catalog, log, clock, "n", admission);
  Election e = **catalog.Get("e1");
  ASSERT_TRUE(CloseElection(e, 900).ok());
  ASSERT_TRUE(catalog.Update(e).ok());
  EXPECT_EQ(Cast(in, {{"v1", "a", "r1"}}).status().code(), Code::kNotOpen);
  EXPECT_EQ(Cast(in, {{"v1", "a", "r1"}}, "nope").status().code(), Code::kNotFound);
  EXPECT_EQ(Entries(), 0u);
}

TEST_F(VoteBatchTest, DistributedRefsMakeARetryTheSameVotes) {
  RefRecordingLog recording(log, refs);
  IngestService in(catalog, recording, clock, "n", admission);
  in.set_gateway_refs(&refs);
  auto first = Cast(in, {{"v1", "a", "r1"}, {"v2", "b", "r2"}});
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(refs.refs(), 2u);
  std::vector<BatchVote> retry{{"v1", "a", "r1"}, {"v3", "b", "r3"}, {"v4", "a", "r2"}};
  auto found = in.FindBatchRefs("e1", "gw", retry);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(*(*found)[0], *(*first)[0]);                    // stored: the same vote
  EXPECT_TRUE((*found)[1]->empty());                        // not stored: to be cast
  EXPECT_EQ((*found)[2].status().code(), Code::kConflict);  // r2 was v2's vote
  auto cast = Cast(in, {retry[1]});
  ASSERT_TRUE(cast.ok());
  EXPECT_EQ(Entries(), 3u);
  // A stored ref is found whatever the election's state (a retry after the close).
  Election e = **catalog.Get("e1");
  ASSERT_TRUE(CloseElection(e, 900).ok());
  ASSERT_TRUE(catalog.Update(e).ok());
  auto after = in.FindBatchRefs("e1", "gw", {{"v1", "a", "r1"}});
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(*(*after)[0], *(*first)[0]);
  // A failed look-up is an error: nothing appended.
  refs.fail_find = true;
  EXPECT_EQ(in.FindBatchRefs("e1", "gw", {{"v4", "a", "r4"}}).status().code(), Code::kUnavailable);
  EXPECT_EQ(Entries(), 3u);
}

TEST_F(VoteBatchTest, RecordKeepsTheFirstVoteOfARef) {
  // GatewayRefs::Record: a ref stored already keeps its first vote (two nodes racing).
  ASSERT_TRUE(refs.Record({{"k", GatewayRef{"id-1", "f1"}}}).ok());
  ASSERT_TRUE(refs.Record({{"k", GatewayRef{"id-2", "f2"}}}).ok());
  auto f = refs.Find({"k"});
  ASSERT_TRUE(f.ok());
  EXPECT_EQ((*f)[0].vote_id, "id-1");
}

// The fingerprint stored with each ref ("gwref/" values of data dirs written by every earlier
// version) is the hex SHA-256 of voter '\0' option: a retry compares against those bytes.
TEST(RefFingerprintTest, IsTheHexSha256OfVoterNulOption) {
  // sha256(b"gw:sms-br:v1\x00a"), by Python's hashlib
  EXPECT_EQ(IngestService::RefFingerprint("gw:sms-br:v1", "a"),
            "d17d43cbd56cb8e0f4cb5e6d6b616e2a82bcd9b2f00622881d1d191ab1d35b2e");
  // Repeated calls on one thread (one reused digest context) stay independent.
  const std::string long_voter(128, 'x');
  for (int i = 0; i < 3; ++i) {
    std::string content = long_voter + '\0' + "opt" + std::to_string(i);
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(content.data()), content.size(), md);
    EXPECT_EQ(IngestService::RefFingerprint(long_voter, "opt" + std::to_string(i)),
              HexEncode(std::string_view(reinterpret_cast<const char*>(md), sizeof md)));
  }
}

}  // namespace
}  // namespace urna
