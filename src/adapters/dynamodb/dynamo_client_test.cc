// DynamoClient and EnsureTable against a real dynalite (test_servers.h): requests, the error
// mapping of dynamo_client.h, table creation.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "adapters/dynamodb/dynamo_client.h"
#include "adapters/dynamodb/test_servers.h"

namespace urna::dynamodb {
namespace {

namespace json = boost::json;

TableSpec KeyValueTable(const std::string& name) {
  json::object req{
      {"TableName", name},
      {"AttributeDefinitions",
       json::array{json::object{{"AttributeName", "k"}, {"AttributeType", "S"}}}},
      {"KeySchema", json::array{json::object{{"AttributeName", "k"}, {"KeyType", "HASH"}}}},
      {"BillingMode", "PAY_PER_REQUEST"}};
  return {name, json::serialize(req)};
}

std::string Put(const std::string& table, const std::string& k, const std::string& v,
                bool if_absent) {
  json::object req{
      {"TableName", table},
      {"Item", json::object{{"k", json::object{{"S", k}}}, {"v", json::object{{"S", v}}}}}};
  if (if_absent) req["ConditionExpression"] = "attribute_not_exists(k)";
  return json::serialize(req);
}

std::string GetValue(DynamoClient& client, const std::string& table, const std::string& k) {
  json::object req{{"TableName", table},
                   {"Key", json::object{{"k", json::object{{"S", k}}}}},
                   {"ConsistentRead", true}};
  auto r = client.Call({"GetItem", json::serialize(req)});
  EXPECT_TRUE(r.ok()) << r.status().message();
  if (!r.ok()) return "";
  json::value v = json::parse(*r);
  const auto* item = v.as_object().if_contains("Item");
  if (!item) return "";
  return std::string(item->at("v").at("S").as_string());
}

class DynamoClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto d = testing::Dynalite::Start();
    ASSERT_TRUE(d.ok()) << d.status().message();
    dynalite_ = std::move(*d).release();
  }
  static void TearDownTestSuite() {
    delete dynalite_;
    dynalite_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(dynalite_, nullptr);
    auto c = MakeCurlClient(testing::TestConfig(dynalite_->endpoint()));
    ASSERT_TRUE(c.ok()) << c.status().message();
    client_ = std::move(*c);
  }
  static testing::Dynalite* dynalite_;
  std::unique_ptr<DynamoClient> client_;
};
testing::Dynalite* DynamoClientTest::dynalite_ = nullptr;

TEST_F(DynamoClientTest, EnsureTableCreatesOnceAndWaitsForActive) {
  TableSpec spec = KeyValueTable(testing::UniqueName("kv"));
  auto first = EnsureTable(*client_, spec);
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_TRUE(*first);
  // ACTIVE when EnsureTable returns: a write succeeds at once.
  auto put = client_->Call({"PutItem", Put(spec.name, "a", "1", false)});
  EXPECT_TRUE(put.ok()) << put.status().message();
  auto again = EnsureTable(*client_, spec);
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_FALSE(*again);
  EXPECT_EQ(GetValue(*client_, spec.name, "a"), "1");  // the second call changed nothing
}

TEST_F(DynamoClientTest, PutGetAndConditionalFailureIsConflict) {
  TableSpec spec = KeyValueTable(testing::UniqueName("kv"));
  ASSERT_TRUE(EnsureTable(*client_, spec).ok());
  ASSERT_TRUE(client_->Call({"PutItem", Put(spec.name, "voter", "first", true)}).ok());
  auto second = client_->Call({"PutItem", Put(spec.name, "voter", "second", true)});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Code::kConflict);
  EXPECT_NE(second.status().message().find("ConditionalCheckFailedException"), std::string::npos)
      << second.status().message();
  EXPECT_EQ(GetValue(*client_, spec.name, "voter"), "first");
}

TEST_F(DynamoClientTest, MissingTableIsNotFoundAndBadRequestIsInternal) {
  auto missing = client_->Call({"PutItem", Put(testing::UniqueName("absent"), "a", "1", false)});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::kNotFound) << missing.status().message();
  EXPECT_NE(missing.status().message().find("urna init"), std::string::npos);

  auto bad = client_->Call({"PutItem", R"({"TableName":"x"})"});  // no Item: ValidationException
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kInternal) << bad.status().message();
  EXPECT_NE(bad.status().message().find("ValidationException"), std::string::npos);
}

TEST_F(DynamoClientTest, UnreachableEndpointIsUnavailableAfterItsAttempts) {
  DynamoConfig c = testing::TestConfig("http://127.0.0.1:1");  // nothing listens on port 1
  c.max_attempts = 3;
  auto client = MakeCurlClient(c);
  ASSERT_TRUE(client.ok());
  auto r = (*client)->Call({"ListTables", "{}"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  EXPECT_NE(r.status().message().find("3 attempts"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace urna::dynamodb
