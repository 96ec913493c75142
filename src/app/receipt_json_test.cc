#include "app/receipt_json.h"

#include <gtest/gtest.h>

#include "adapters/memory/memory_catalog.h"

namespace urna::app {
namespace {

Receipt Duplicate(std::string election) {
  Receipt r;
  r.vote_id = "v4";
  r.election_id = std::move(election);
  r.voter_id = "ana";
  r.option_id = "a";
  r.outcome = Outcome::kDuplicate;
  r.counted_vote_id = "v1";
  return r;
}

Election WithLimit(std::string id, uint32_t votes_per_voter) {
  Election e;
  e.id = std::move(id);
  e.title = "t";
  e.options = {{"a", "A"}};
  e.status = ElectionStatus::kOpen;
  e.votes_per_voter = votes_per_voter;
  return e;
}

// policy: a duplicate's reason and limit come from the election's votes_per_voter.
TEST(ReceiptJsonTest, DuplicateNamesTheElectionsLimit) {
  memory::MemoryCatalog catalog;
  ASSERT_TRUE(catalog.Create(WithLimit("one", 1)).ok());
  ASSERT_TRUE(catalog.Create(WithLimit("three", 3)).ok());
  auto one = ReceiptJson(Duplicate("one"), catalog);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->at("status"), "duplicate");
  EXPECT_EQ(one->at("reason"), "already_voted");
  EXPECT_EQ(one->at("votes_per_voter"), 1);
  EXPECT_EQ(one->at("counted_vote_id"), "v1");
  auto three = ReceiptJson(Duplicate("three"), catalog);
  ASSERT_TRUE(three.ok());
  EXPECT_EQ(three->at("reason"), "vote_limit_reached");
  EXPECT_EQ(three->at("votes_per_voter"), 3);
}

// When the catalog cannot say the election's limit, the receipt is not guessed ("already_voted"
// with 1 would be wrong for an N election): 503, the client asks again.
TEST(ReceiptJsonTest, DuplicateWithoutTheElectionIsUnavailable) {
  memory::MemoryCatalog catalog;  // does not know the election: Get fails
  auto r = ReceiptJson(Duplicate("three"), catalog);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
}

// Other fates need no catalog read.
TEST(ReceiptJsonTest, CountedNeedsNoCatalog) {
  memory::MemoryCatalog catalog;
  Receipt r = Duplicate("absent");
  r.outcome = Outcome::kCounted;
  r.counted_vote_id.clear();
  auto o = ReceiptJson(r, catalog);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->at("status"), "counted");
  EXPECT_FALSE(o->contains("reason"));
  EXPECT_FALSE(o->contains("votes_per_voter"));
}

}  // namespace
}  // namespace urna::app
