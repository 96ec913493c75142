// ResultServerApi with the memory fakes behind it (the Redis cache's "loading" played by a read
// model that answers kUnavailable until told otherwise): what a viewer and a misdirected client
// get from a result server. The real processes and Redis: tests/e2e/e2e_dist_results*.py.
#include "app/result_server_api.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>

#include "adapters/memory/memory_catalog.h"
#include "adapters/memory/memory_read_model.h"

namespace urna::app {
namespace {

// kUnavailable ("loading") until `loaded`, then the memory read model's tallies: as
// RedisTallyCache before and after its first read of an election.
class LoadingReadModel final : public ReadModel {
 public:
  std::atomic<bool> loaded{false};
  memory::MemoryReadModel inner;

  Status Apply(const PartitionTally& u) override { return inner.Apply(u); }
  Result<ElectionTally> Get(std::string_view id) override {
    if (!loaded) return Status(Code::kUnavailable, "results loading, retry");
    return inner.Get(id);
  }
};

class ResultServerApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Election e;
    e.id = "e1";
    e.title = "E1";
    e.options = {{"a", "A"}, {"b", "B"}};
    e.status = ElectionStatus::kOpen;
    ASSERT_TRUE(catalog_.Create(e).ok());
    PartitionTally t;
    t.partition = 0;
    t.next_offset = 3;
    t.elections["e1"] = {{"a", 2}, {"b", 1}};
    ASSERT_TRUE(tallies_.inner.Apply(t).ok());
  }

  std::unique_ptr<ResultServerApi> MakeApi(std::chrono::milliseconds load_wait,
                                           std::string problem = "") {
    return std::make_unique<ResultServerApi>(ResultServerDeps{
        catalog_, tallies_, hub_, "results-test", [] { return std::string("urna_x 1\n"); },
        [problem] { return problem; }, load_wait});
  }

  // Sends a request; the future gets the answer (from whichever thread gives it).
  static std::future<net::HttpResponse> Send(ResultServerApi& api, std::string method,
                                             std::string path) {
    auto done = std::make_shared<std::promise<net::HttpResponse>>();
    auto answer = done->get_future();
    net::HttpRequest req;
    req.method = std::move(method);
    req.path = std::move(path);
    api.Handle(std::move(req), [done](net::HttpResponse r) { done->set_value(std::move(r)); });
    return answer;
  }

  static net::HttpResponse Get(std::future<net::HttpResponse>& f) {
    EXPECT_EQ(f.wait_for(std::chrono::seconds(30)), std::future_status::ready);
    return f.get();
  }

  memory::MemoryCatalog catalog_;
  LoadingReadModel tallies_;
  results::ResultsHub hub_{catalog_, tallies_};  // not started: Current is enough here
};

TEST_F(ResultServerApiTest, WritesAndSecretRoutesAreRefusedWithAClearMessage) {
  auto api = MakeApi(std::chrono::milliseconds(100));
  for (auto [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"POST", "/v1/elections/e1/votes"},
           {"POST", "/v1/elections"},
           {"POST", "/v1/elections/e1/close"},
           {"DELETE", "/v1/gateways/g1"},
           {"GET", "/v1/elections/e1/votes/some-vote"},
           {"GET", "/v1/elections/e1/audit/ledger.csv"}}) {
    auto f = Send(*api, method, path);
    auto r = Get(f);
    EXPECT_EQ(r.status, 404u) << method << " " << path;
    EXPECT_NE(r.body.find("this is a result server"), std::string::npos) << r.body;
  }
}

TEST_F(ResultServerApiTest, AFirstRequestWaitsForTheTalliesThenGetsThem) {
  auto api = MakeApi(std::chrono::seconds(20));
  auto f = Send(*api, "GET", "/v1/elections/e1/results");
  // Not answered while the tallies are loading (it would be a 503 without the wait).
  EXPECT_EQ(f.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout);
  tallies_.loaded = true;
  auto r = Get(f);
  EXPECT_EQ(r.status, 200u) << r.body;
  EXPECT_NE(r.body.find(R"("total":3)"), std::string::npos) << r.body;
}

TEST_F(ResultServerApiTest, TalliesNeverLoadedGive503AfterTheWait) {
  auto api = MakeApi(std::chrono::milliseconds(50));
  for (const char* path : {"/v1/elections/e1/results", "/v1/elections/e1/results/stream"}) {
    auto f = Send(*api, "GET", path);
    auto r = Get(f);
    EXPECT_EQ(r.status, 503u) << path << " " << r.body;
    EXPECT_FALSE(r.upgrade.has_value()) << "no stream that would stay empty";
  }
}

TEST_F(ResultServerApiTest, UnknownElectionIs404AtOnce) {
  auto api = MakeApi(std::chrono::seconds(20));
  auto f = Send(*api, "GET", "/v1/elections/nope/results");
  auto r = Get(f);
  EXPECT_EQ(r.status, 404u) << r.body;
}

TEST_F(ResultServerApiTest, HealthzSaysWhyResultsMayBeOldButStays200) {
  auto ok = MakeApi(std::chrono::milliseconds(50));
  auto f = Send(*ok, "GET", "/healthz");
  auto r = Get(f);
  EXPECT_EQ(r.status, 200u);
  EXPECT_NE(r.body.find(R"("status":"ok")"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"("node":"results-test")"), std::string::npos) << r.body;
  auto degraded = MakeApi(std::chrono::milliseconds(50), "redis: unreachable");
  auto g = Send(*degraded, "GET", "/healthz");
  r = Get(g);
  EXPECT_EQ(r.status, 200u);
  EXPECT_NE(r.body.find(R"("status":"degraded")"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("redis: unreachable"), std::string::npos) << r.body;
}

}  // namespace
}  // namespace urna::app
