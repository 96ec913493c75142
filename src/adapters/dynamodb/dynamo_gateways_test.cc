// DynamoGateways' refs against dynalite: a ref keeps the first vote stored under it (two ingest
// nodes racing, or a retry recording again), with that vote's fingerprint.
#include "adapters/dynamodb/dynamo_gateways.h"

#include <gtest/gtest.h>

#include "adapters/dynamodb/dynalite_test_fixture.h"

namespace urna::dynamodb {
namespace {
using std::string_literals::operator""s;

class DynamoGatewaysTest : public testing::DynaliteTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(DynaliteTest::SetUp());
    client_ = Client(dynalite_->endpoint());
    prefix_ = testing::UniqueName("g") + "-";
    auto made = EnsureTable(*client_, DynamoGateways::Spec(prefix_));
    ASSERT_TRUE(made.ok()) << made.status().message();
  }
  std::unique_ptr<DynamoClient> client_;
  std::string prefix_;
};

TEST_F(DynamoGatewaysTest, ARefKeepsItsFirstVote) {
  DynamoGateways g(*client_, prefix_);
  ASSERT_TRUE(g.Record({{"gw\0e1\0r1"s, GatewayRef{"id-1", "f1"}}, {"k2", {"id-2", "f2"}}}).ok());
  // Another node's vote under the same ref: the first stays.
  ASSERT_TRUE(g.Record({{"gw\0e1\0r1"s, GatewayRef{"id-9", "f9"}}}).ok());
  auto found = g.Find({"gw\0e1\0r1"s, "k2", "none"});
  ASSERT_TRUE(found.ok()) << found.status().message();
  ASSERT_EQ(found->size(), 3u);
  EXPECT_EQ((*found)[0].vote_id, "id-1");
  EXPECT_EQ((*found)[0].fingerprint, "f1");
  EXPECT_EQ((*found)[1].vote_id, "id-2");
  EXPECT_TRUE((*found)[2].vote_id.empty());
}

}  // namespace
}  // namespace urna::dynamodb
