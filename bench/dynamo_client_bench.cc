// DynamoDB client throughput against dynalite: N conditional PutItems (attribute_not_exists, as
// the ledger writes) sent one Call at a time, then as one CallAll at several max_in_flight.
// dynalite (node, one thread) is the limit here, not the client; the figures show what
// concurrency buys. Starts its own dynalite (adapters/dynamodb/test_servers.h):
//   URNA_TEST_NODE=$(command -v node) URNA_TEST_DYNALITE=tests/servers/dynalite_server.js \
//     build/release/bench/dynamo_client_bench [N]
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "adapters/dynamodb/dynamo_client.h"
#include "adapters/dynamodb/test_servers.h"

using namespace urna;
using namespace urna::dynamodb;
namespace json = boost::json;

namespace {

std::vector<DynamoRequest> Puts(const std::string& table, const std::string& run, int n) {
  std::vector<DynamoRequest> out;
  for (int i = 0; i < n; ++i) {
    json::object req{{"TableName", table},
                     {"Item", json::object{{"k", json::object{{"S", run + std::to_string(i)}}},
                                           {"v", json::object{{"S", "vote"}}}}},
                     {"ConditionExpression", "attribute_not_exists(k)"}};
    out.push_back({"PutItem", json::serialize(req)});
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 2000;
  if (n < 1) n = 2000;
  auto d = testing::Dynalite::Start();
  if (!d.ok()) {
    std::fprintf(stderr, "%s\n", d.status().message().c_str());
    return 1;
  }
  for (int in_flight : {0, 1, 4, 16, 64}) {                    // 0: one Call after another
    std::string table = "bench-" + std::to_string(in_flight);  // each run on an empty table
    json::object spec{
        {"TableName", table},
        {"AttributeDefinitions",
         json::array{json::object{{"AttributeName", "k"}, {"AttributeType", "S"}}}},
        {"KeySchema", json::array{json::object{{"AttributeName", "k"}, {"KeyType", "HASH"}}}},
        {"BillingMode", "PAY_PER_REQUEST"}};
    DynamoConfig c = testing::TestConfig((*d)->endpoint());
    c.max_in_flight = in_flight == 0 ? 1 : in_flight;
    auto client = MakeCurlClient(c);
    if (!client.ok() || !EnsureTable(**client, {table, json::serialize(spec)}).ok()) return 1;
    auto puts = Puts(table, "r" + std::to_string(in_flight) + "-", n);
    auto start = std::chrono::steady_clock::now();
    int failed = 0;
    if (in_flight == 0) {
      for (const auto& p : puts) failed += !(*client)->Call(p).ok();
    } else {
      for (const auto& r : (*client)->CallAll(puts)) failed += !r.ok();
    }
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%-22s %6d puts  %7.0f puts/s  %d failed\n",
                in_flight == 0 ? "Call, one by one"
                               : ("CallAll, in flight " + std::to_string(in_flight)).c_str(),
                n, n / s, failed);
  }
  return 0;
}
