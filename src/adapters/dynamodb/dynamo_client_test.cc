// DynamoClient and EnsureTable against a real dynalite (test_servers.h): requests, the error
// mapping of dynamo_client.h, table creation.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <mutex>
#include <thread>

#include "adapters/dynamodb/dynalite_test_fixture.h"
#include "adapters/dynamodb/dynamo_batch.h"
#include "adapters/dynamodb/dynamo_client.h"

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

// The fault proxy of DynaliteTest serves DynamoFaultTest; the others use dynalite directly.
class DynamoClientTest : public testing::DynaliteTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(DynaliteTest::SetUp());
    auto c = MakeCurlClient(testing::TestConfig(dynalite_->endpoint()));
    ASSERT_TRUE(c.ok()) << c.status().message();
    client_ = std::move(*c);
  }
  std::unique_ptr<DynamoClient> client_;
};

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

TEST_F(DynamoClientTest, EnsureTableRefusesAnExistingTableWithAnotherKey) {
  TableSpec spec = KeyValueTable(testing::UniqueName("kv"));
  ASSERT_TRUE(EnsureTable(*client_, spec).ok());
  json::value other = json::parse(spec.create_table_json);
  other.as_object()["AttributeDefinitions"] =
      json::array{json::object{{"AttributeName", "pk"}, {"AttributeType", "S"}},
                  json::object{{"AttributeName", "sk"}, {"AttributeType", "S"}}};
  other.as_object()["KeySchema"] =
      json::array{json::object{{"AttributeName", "pk"}, {"KeyType", "HASH"}},
                  json::object{{"AttributeName", "sk"}, {"KeyType", "RANGE"}}};
  auto r = EnsureTable(*client_, {spec.name, json::serialize(other)});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kConflict);
  EXPECT_NE(r.status().message().find("exists with the key (k:HASH), not (pk:HASH, sk:RANGE)"),
            std::string::npos)
      << r.status().message();
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

// Through the fault proxy: what dynalite never does by itself.
class DynamoFaultTest : public DynamoClientTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(DynamoClientTest::SetUp());
    table_ = KeyValueTable(testing::UniqueName("kv")).name;
    ASSERT_TRUE(EnsureTable(*client_, KeyValueTable(table_)).ok());
  }
  std::unique_ptr<DynamoClient> ProxyClient(int max_attempts = 8, int max_in_flight = 64) {
    DynamoConfig c = testing::TestConfig(proxy_->endpoint());
    c.max_attempts = max_attempts;
    c.max_in_flight = max_in_flight;
    auto client = MakeCurlClient(c);
    EXPECT_TRUE(client.ok());
    return client.ok() ? std::move(*client) : nullptr;
  }
  std::string table_;
};

TEST_F(DynamoFaultTest, ThrottlingAndServerErrorsAreRetried) {
  auto client = ProxyClient();
  ASSERT_TRUE(proxy_->Inject("throttle", "PutItem", 3).ok());
  auto put = client->Call({"PutItem", Put(table_, "a", "1", false)});
  ASSERT_TRUE(put.ok()) << put.status().message();
  EXPECT_EQ(proxy_->Injected("throttle"), 3);

  ASSERT_TRUE(proxy_->Inject("internal", "", 2).ok());
  ASSERT_TRUE(proxy_->Inject("unavailable", "", 1).ok());
  ASSERT_TRUE(proxy_->Inject("request_limit", "", 1).ok());
  auto put2 = client->Call({"PutItem", Put(table_, "b", "2", false)});
  ASSERT_TRUE(put2.ok()) << put2.status().message();
  EXPECT_EQ(proxy_->Injected("internal"), 2);
  EXPECT_EQ(proxy_->Injected("unavailable"), 1);
  EXPECT_EQ(proxy_->Injected("request_limit"), 1);
  EXPECT_EQ(proxy_->Forwarded(), 2);  // each put reached dynalite once
  EXPECT_EQ(GetValue(*client_, table_, "b"), "2");
}

TEST_F(DynamoFaultTest, GivesUpAfterMaxAttemptsWithoutWriting) {
  auto client = ProxyClient(/*max_attempts=*/3);
  ASSERT_TRUE(proxy_->Inject("throttle", "PutItem", 10).ok());
  auto put = client->Call({"PutItem", Put(table_, "a", "1", false)});
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.status().code(), Code::kUnavailable);
  EXPECT_NE(put.status().message().find("ProvisionedThroughputExceededException"),
            std::string::npos)
      << put.status().message();
  EXPECT_EQ(proxy_->Injected("throttle"), 3);
  EXPECT_EQ(proxy_->Forwarded(), 0);
  EXPECT_EQ(GetValue(*client_, table_, "a"), "");
}

TEST_F(DynamoFaultTest, RequestMayBoundItsOwnAttempts) {
  auto client = ProxyClient(/*max_attempts=*/8);
  ASSERT_TRUE(proxy_->Inject("throttle", "PutItem", 10).ok());
  auto put = client->Call({"PutItem", Put(table_, "a", "1", false), /*max_attempts=*/2});
  EXPECT_EQ(put.status().code(), Code::kUnavailable);
  EXPECT_EQ(proxy_->Injected("throttle"), 2);
}

TEST_F(DynamoFaultTest, ConditionalFailureIsNotRetried) {
  auto client = ProxyClient();
  ASSERT_TRUE(client->Call({"PutItem", Put(table_, "v", "first", true)}).ok());
  auto second = client->Call({"PutItem", Put(table_, "v", "second", true)});
  EXPECT_EQ(second.status().code(), Code::kConflict);
  EXPECT_EQ(proxy_->Forwarded(), 2);
}

// The response to a PutItem that dynalite applied is lost (a 500 instead): the client retries.
// An unconditional put writes the same item again: one item, the right answer. A conditional
// put's retry fails its condition and the client says kConflict: it cannot know the first
// attempt was its own, so every conditional writer re-reads (DynamoCatalog does; its test).
TEST_F(DynamoFaultTest, LostResponseOfAppliedPutIsRetried) {
  auto client = ProxyClient();
  ASSERT_TRUE(proxy_->Inject("internal", "PutItem", 1, 1, /*after=*/true).ok());
  auto put = client->Call({"PutItem", Put(table_, "a", "1", false)});
  ASSERT_TRUE(put.ok()) << put.status().message();
  EXPECT_EQ(proxy_->Forwarded(), 2);
  EXPECT_EQ(GetValue(*client_, table_, "a"), "1");
  auto scan = client_->Call({"Scan", json::serialize(json::object{{"TableName", table_}})});
  ASSERT_TRUE(scan.ok());
  EXPECT_EQ(json::parse(*scan).at("Count").as_int64(), 1);

  ASSERT_TRUE(proxy_->Inject("internal", "PutItem", 1, 1, /*after=*/true).ok());
  auto cond = client->Call({"PutItem", Put(table_, "c", "mine", true)});
  EXPECT_EQ(cond.status().code(), Code::kConflict);
  EXPECT_EQ(GetValue(*client_, table_, "c"), "mine");
}

// max_in_flight requests are on the wire at once, never more: the proxy holds the first four
// until all four have arrived (a client with fewer in flight would stall 20 s and fail), and
// its peak shows no fifth. Results come back in the order given.
TEST_F(DynamoFaultTest, CallAllKeepsMaxInFlightOnTheWireAndAnswersInOrder) {
  auto client = ProxyClient(/*max_attempts=*/8, /*max_in_flight=*/4);
  ASSERT_TRUE(proxy_->Hold(4).ok());
  std::vector<DynamoRequest> puts, gets;
  for (int i = 0; i < 40; ++i) {
    std::string k = "k" + std::to_string(i);
    puts.push_back({"PutItem", Put(table_, k, "v" + std::to_string(i), false)});
    gets.push_back({"GetItem", json::serialize(json::object{
                                   {"TableName", table_},
                                   {"Key", json::object{{"k", json::object{{"S", k}}}}}})});
  }
  auto start = std::chrono::steady_clock::now();
  for (const auto& r : client->CallAll(puts)) ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(15));
  EXPECT_EQ(proxy_->Peak(), 4);
  auto got = client->CallAll(gets);
  ASSERT_EQ(got.size(), 40u);
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(got[i].ok());
    EXPECT_EQ(json::parse(*got[i]).at("Item").at("v").at("S").as_string(), "v" + std::to_string(i));
  }
  EXPECT_LE(proxy_->Peak(), 4);
  EXPECT_LE(proxy_->Connections(), 4);  // kept alive, not one per request
}

TEST_F(DynamoFaultTest, ResponseLargerThanTheLimitFailsWithoutRetry) {
  DynamoConfig c = testing::TestConfig(proxy_->endpoint());
  c.max_response_bytes = 200;
  auto client = MakeCurlClient(c);
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE((*client)->Call({"PutItem", Put(table_, "big", std::string(300, 'x'), false)}).ok());
  ASSERT_TRUE((*client)->Call({"PutItem", Put(table_, "small", "1", false)}).ok());
  json::object get{{"TableName", table_}, {"Key", json::object{{"k", json::object{{"S", "big"}}}}}};
  auto r = (*client)->Call({"GetItem", json::serialize(get)});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInternal);
  EXPECT_NE(r.status().message().find("larger than 200 bytes"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(proxy_->Forwarded(), 3);  // not retried
  get["Key"] = json::object{{"k", json::object{{"S", "small"}}}};
  EXPECT_TRUE((*client)->Call({"GetItem", json::serialize(get)}).ok());  // the client goes on
}

TEST_F(DynamoFaultTest, ConnectionsAreKeptAlive) {
  auto client = ProxyClient();
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(client->Call({"PutItem", Put(table_, "a", std::to_string(i), false)}).ok());
  }
  EXPECT_EQ(proxy_->Forwarded(), 20);
  EXPECT_EQ(proxy_->Connections(), 1);
}

TEST_F(DynamoFaultTest, ManyThreadsShareOneClient) {
  auto client = ProxyClient(/*max_attempts=*/8, /*max_in_flight=*/8);
  ASSERT_TRUE(proxy_->Inject("throttle", "PutItem", 20, /*every=*/3).ok());
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  std::mutex mu;
  std::string first_error;  // guarded by mu: says why a call failed, if one does
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 15; ++i) {
        std::string k = std::to_string(t) + "-" + std::to_string(i);
        auto r = client->Call({"PutItem", Put(table_, k, k, true)});
        if (r.ok()) {
          ++ok;
        } else {
          std::lock_guard lock(mu);
          if (first_error.empty()) first_error = k + ": " + r.status().message();
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 90) << first_error;
  EXPECT_EQ(proxy_->Injected("throttle"), 20);
  EXPECT_EQ(proxy_->Forwarded(), 90);
}

std::vector<std::string> PutRequests(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    json::object item{{"k", json::object{{"S", "b" + std::to_string(i)}}},
                      {"v", json::object{{"S", std::to_string(i)}}}};
    out.push_back(json::serialize(json::object{{"PutRequest", json::object{{"Item", item}}}}));
  }
  return out;
}

int64_t Count(DynamoClient& client, const std::string& table) {
  auto scan = client.Call(
      {"Scan", json::serialize(json::object{{"TableName", table}, {"ConsistentRead", true}})});
  EXPECT_TRUE(scan.ok());
  return scan.ok() ? json::parse(*scan).at("Count").as_int64() : -1;
}

// 60 writes = chunks of 25, 25, 10; the first three BatchWriteItem answers leave all but one
// item unprocessed: they are sent again until every item is written.
TEST_F(DynamoFaultTest, BatchWriteAllResendsUnprocessedItems) {
  auto client = ProxyClient();
  ASSERT_TRUE(proxy_->Unprocessed(3).ok());
  Status s = BatchWriteAll(*client, table_, PutRequests(60),
                           {8, std::chrono::milliseconds(1), std::chrono::milliseconds(20)});
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(proxy_->Cut(), 3);
  EXPECT_EQ(Count(*client_, table_), 60);
  EXPECT_EQ(GetValue(*client_, table_, "b59"), "59");
}

TEST_F(DynamoFaultTest, BatchWriteAllGivesUpAfterItsRounds) {
  auto client = ProxyClient();
  ASSERT_TRUE(proxy_->Unprocessed(1000).ok());
  Status s = BatchWriteAll(*client, table_, PutRequests(4),
                           {3, std::chrono::milliseconds(1), std::chrono::milliseconds(20)});
  EXPECT_EQ(s.code(), Code::kUnavailable) << s.message();
  EXPECT_NE(s.message().find("1 items still unprocessed after 3 rounds"), std::string::npos)
      << s.message();
  EXPECT_EQ(Count(*client_, table_), 3);  // one item per round got through
  // Throttling of whole requests is the client's retry, below the rounds.
  ASSERT_TRUE(proxy_->Reset().ok());
  ASSERT_TRUE(proxy_->Inject("throttle", "BatchWriteItem", 2).ok());
  EXPECT_TRUE(BatchWriteAll(*client, table_, PutRequests(4)).ok());
  EXPECT_EQ(Count(*client_, table_), 4);
  EXPECT_EQ(proxy_->Injected("throttle"), 2);
  // A malformed request is the caller's bug: kInternal, at once.
  EXPECT_EQ(BatchWriteAll(*client, table_, {"not json"}).code(), Code::kInternal);
  EXPECT_EQ(BatchWriteAll(*client, table_, {R"({"PutRequest":{}})"}).code(), Code::kInternal);
}

// A server that accepts the connection and never answers: each attempt ends at
// request_timeout, and the call at max_attempts of them.
TEST(DynamoClientTimeout, SilentServerIsUnavailableWithinTheBound) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(fd, 16), 0);
  socklen_t len = sizeof a;
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  DynamoConfig c = testing::TestConfig("http://127.0.0.1:" + std::to_string(ntohs(a.sin_port)));
  c.request_timeout = std::chrono::milliseconds(200);
  c.max_attempts = 2;
  auto client = MakeCurlClient(c);
  ASSERT_TRUE(client.ok());
  auto start = std::chrono::steady_clock::now();
  auto r = (*client)->Call({"ListTables", "{}"});
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable) << r.status().message();
  EXPECT_GE(took, std::chrono::milliseconds(400));
  EXPECT_LT(took, std::chrono::seconds(10));

  // A request's own timeout and attempts: one attempt of 100 ms.
  c.request_timeout = std::chrono::seconds(30);
  c.max_attempts = 8;
  auto patient = MakeCurlClient(c);
  ASSERT_TRUE(patient.ok());
  start = std::chrono::steady_clock::now();
  r = (*patient)->Call({"ListTables", "{}", 1, std::chrono::milliseconds(100)});
  took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.status().code(), Code::kUnavailable) << r.status().message();
  EXPECT_GE(took, std::chrono::milliseconds(100));
  EXPECT_LT(took, std::chrono::seconds(10));
  close(fd);
}

}  // namespace
}  // namespace urna::dynamodb
