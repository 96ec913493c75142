// ResultServerApi with the memory fakes behind it (the Redis cache's "loading" played by a read
// model that answers kUnavailable until told otherwise): what a viewer and a misdirected client
// get from a result server. The real processes and Redis: tests/e2e/e2e_dist_results*.py.
#include "app/result_server_api.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <vector>

#include "adapters/memory/memory_catalog.h"
#include "adapters/memory/memory_read_model.h"
#include "app/result_routes.h"

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
                                           std::string problem = "",
                                           size_t max_load_waiters = 10'000, CorsPolicy cors = {}) {
    return std::make_unique<ResultServerApi>(ResultServerDeps{
        catalog_, tallies_, hub_, "results-test", [] { return std::string("urna_x 1\n"); },
        [problem] { return problem; }, load_wait, max_load_waiters, std::move(cors), {}, {}});
  }

  // As `urna results` makes it: an election the catalog does not know waits for the catalog's
  // refreshes, played by begun_ and ended_ (DynamoCatalog's refreshes_begun/ended).
  std::unique_ptr<ResultServerApi> MakeRefreshingApi(std::chrono::milliseconds load_wait,
                                                     size_t max_load_waiters = 10'000,
                                                     size_t max_unknown_waiters = 1'000) {
    return std::make_unique<ResultServerApi>(ResultServerDeps{
        catalog_, tallies_, hub_, "results-test", [] { return std::string(); },
        [] { return std::string(); }, load_wait, max_load_waiters, CorsPolicy{},
        [this] { return begun_.load(); }, [this] { return ended_.load(); }, max_unknown_waiters});
  }

  void CreateElection(const std::string& id) {
    Election e;
    e.id = id;
    e.title = id;
    e.options = {{"a", "A"}, {"b", "B"}};
    e.status = ElectionStatus::kOpen;
    ASSERT_TRUE(catalog_.Create(e).ok());
  }

  // Sends a request; the future gets the answer (from whichever thread gives it).
  static std::future<net::HttpResponse> Send(ResultServerApi& api, std::string method,
                                             std::string path, net::HttpRequest req = {}) {
    auto done = std::make_shared<std::promise<net::HttpResponse>>();
    auto answer = done->get_future();
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
  std::atomic<uint64_t> begun_{7}, ended_{7};  // the catalog's refreshes, as the test moves them
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

std::string HeaderOf(const net::HttpResponse& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

TEST_F(ResultServerApiTest, HeadAndCrossOriginReadsOfTheResults) {
  tallies_.loaded = true;
  auto api =
      MakeApi(std::chrono::seconds(5), "", 10'000, *CorsPolicy::Parse("https://gfx.example"));
  net::HttpRequest from;
  from.origin = "https://gfx.example";
  auto head = Send(*api, "HEAD", "/v1/elections/e1/results", from);
  auto h = Get(head);
  EXPECT_EQ(h.status, 200u);  // the body is left out by the HTTP server
  EXPECT_NE(HeaderOf(h, "ETag"), "");
  EXPECT_EQ(HeaderOf(h, "Access-Control-Allow-Origin"), "https://gfx.example");
  net::HttpRequest pre = from;
  pre.access_control_request_method = "GET";
  auto preflight = Send(*api, "OPTIONS", "/v1/elections/e1/results/stream", pre);
  auto p = Get(preflight);
  EXPECT_EQ(p.status, 204u);
  EXPECT_EQ(HeaderOf(p, "Access-Control-Allow-Methods"), "GET, OPTIONS");  // no HEAD route
  net::HttpRequest inm;
  inm.if_none_match = "\"x\", " + HeaderOf(h, "ETag");
  auto cached = Send(*api, "GET", "/v1/elections/e1/results", inm);
  EXPECT_EQ(Get(cached).status, 304u);
  auto list = Send(*api, "GET", "/v1/elections", from);
  EXPECT_EQ(HeaderOf(Get(list), "Access-Control-Allow-Origin"), "https://gfx.example");
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

TEST_F(ResultServerApiTest, UnknownElectionIs404AtOnceWithoutRefreshesToWaitFor) {
  auto api = MakeApi(std::chrono::seconds(20));
  auto f = Send(*api, "GET", "/v1/elections/nope/results");
  ASSERT_EQ(f.wait_for(std::chrono::seconds(0)), std::future_status::ready);
  auto r = Get(f);
  EXPECT_EQ(r.status, 404u) << r.body;
}

// An election another process created a moment ago: the catalog's memory has not read it yet.
// Its viewers, its page and its description wait for the catalog, not 404.
TEST_F(ResultServerApiTest, AnElectionCreatedElsewhereIsServedOnceTheCatalogHasIt) {
  tallies_.loaded = true;
  auto api = MakeRefreshingApi(std::chrono::seconds(20));
  auto results = Send(*api, "GET", "/v1/elections/e2/results");
  auto stream = Send(*api, "GET", "/v1/elections/e2/results/stream");
  auto about = Send(*api, "GET", "/v1/elections/e2");
  auto page = Send(*api, "GET", "/e/e2");
  for (auto* f : {&results, &stream, &about, &page}) {
    EXPECT_EQ(f->wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  }
  CreateElection("e2");  // what the next refresh brings in
  auto r = Get(results);
  EXPECT_EQ(r.status, 200u) << r.body;
  EXPECT_NE(r.body.find(R"("election":"e2")"), std::string::npos) << r.body;
  auto st = Get(stream);
  EXPECT_EQ(st.status, 200u) << st.body;
  EXPECT_TRUE(st.upgrade.has_value()) << "a live stream";
  EXPECT_EQ(Get(about).status, 200u);
  EXPECT_EQ(Get(page).status, 200u);
}

// An id no process created: 404 once a refresh that began after the request has read the whole
// table (not before, not only after load_wait).
TEST_F(ResultServerApiTest, AnUnknownElectionIs404AfterARefreshThatBeganAfterTheRequest) {
  auto api = MakeRefreshingApi(std::chrono::seconds(60));
  auto f = Send(*api, "GET", "/v1/elections/nope/results");
  EXPECT_EQ(f.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  begun_ = 8;  // a refresh begins...
  EXPECT_EQ(f.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  ended_ = 8;  // ...and ends: still no such election
  ASSERT_EQ(f.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  auto r = Get(f);
  EXPECT_EQ(r.status, 404u) << r.body;
  // A refresh that was under way when a request came does not answer it: it may have read the
  // table before the election was created.
  begun_ = 9;  // under way
  auto g = Send(*api, "GET", "/v1/elections/nope/results");
  EXPECT_EQ(g.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  ended_ = 9;  // the one under way ends
  EXPECT_EQ(g.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout);
  begun_ = 10;
  ended_ = 10;  // one begun after the request
  EXPECT_EQ(Get(g).status, 404u);
}

// Random ids hold at most max_unknown_waiters requests; more are answered at once, and a viewer
// of a real election whose tallies are loading still waits (not 503).
TEST_F(ResultServerApiTest, UnknownIdsPastTheirBoundAreAnsweredAtOnce) {
  auto api = MakeRefreshingApi(std::chrono::seconds(60), 10'000, 2);
  auto a = Send(*api, "GET", "/v1/elections/x1/results");
  auto b = Send(*api, "GET", "/v1/elections/x2/results/stream");
  auto c = Send(*api, "GET", "/v1/elections/x3/results");
  ASSERT_EQ(c.wait_for(std::chrono::seconds(0)), std::future_status::ready);
  EXPECT_EQ(Get(c).status, 404u);
  auto loading = Send(*api, "GET", "/v1/elections/e1/results");
  EXPECT_EQ(loading.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  EXPECT_EQ(a.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);
  EXPECT_EQ(b.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);
  begun_ = 8;
  ended_ = 8;  // the two answered: room for another unknown id to wait
  EXPECT_EQ(Get(a).status, 404u);
  EXPECT_EQ(Get(b).status, 404u);
  auto d = Send(*api, "GET", "/v1/elections/x4/results");
  EXPECT_EQ(d.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  tallies_.loaded = true;
  EXPECT_EQ(Get(loading).status, 200u);
  api->Shutdown();  // answers d as things stand
  EXPECT_EQ(Get(d).status, 404u);
}

// When the loads' bound is full (Redis slow at start-up, say), a request for an unknown id is not
// refused with the loads' 503: it is answered as it was before it could wait (404, the page's
// not-found for a page).
TEST_F(ResultServerApiTest, UnknownIdsAreNot503WhenTheLoadsFillTheBound) {
  auto api = MakeRefreshingApi(std::chrono::seconds(60), 2, 1'000);
  auto l1 = Send(*api, "GET", "/v1/elections/e1/results");
  auto l2 = Send(*api, "GET", "/v1/elections/e1/results/stream");
  EXPECT_EQ(l1.wait_for(std::chrono::milliseconds(20)), std::future_status::timeout);
  auto unknown = Send(*api, "GET", "/v1/elections/nope/results");
  ASSERT_EQ(unknown.wait_for(std::chrono::seconds(0)), std::future_status::ready);
  EXPECT_EQ(Get(unknown).status, 404u);
  auto page = Send(*api, "GET", "/e/nope");
  ASSERT_EQ(page.wait_for(std::chrono::seconds(0)), std::future_status::ready);
  EXPECT_EQ(Get(page).status, 404u);
  auto more = Send(*api, "GET", "/v1/elections/e1/results");  // a load past the bound: 503
  EXPECT_EQ(Get(more).status, 503u);
  tallies_.loaded = true;
  EXPECT_EQ(Get(l1).status, 200u);
  EXPECT_EQ(Get(l2).status, 200u);
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

// A drain's Shutdown answers the waiting requests as things stand, without waiting out their
// load_wait; a request arriving after it gets a clear 503 at once (not a wait nobody ends).
TEST_F(ResultServerApiTest, ShutdownAnswersTheWaitersAndRefusesNewOnes) {
  auto api = MakeApi(std::chrono::seconds(10));
  auto waiting = Send(*api, "GET", "/v1/elections/e1/results");
  EXPECT_EQ(waiting.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  auto start = std::chrono::steady_clock::now();
  api->Shutdown();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(9))
      << "Shutdown waited out the request's load_wait";
  ASSERT_EQ(waiting.wait_for(std::chrono::seconds(0)), std::future_status::ready)
      << "Shutdown returned before answering a waiting request";
  EXPECT_EQ(waiting.get().status, 503u);  // still loading: as it stands
  for (const char* path : {"/v1/elections/e1/results", "/v1/elections/e1/results/ws"}) {
    auto late = Send(*api, "GET", path);
    auto r = Get(late);
    EXPECT_EQ(r.status, 503u) << path << " " << r.body;
    EXPECT_NE(r.body.find("stopping"), std::string::npos) << r.body;
  }
  api->Shutdown();  // idempotent (the destructor calls it again)
}

// The requests waiting for a first read are bounded: past max_load_waiters a clear 503 at once;
// the ones waiting are all answered when the election loads.
TEST_F(ResultServerApiTest, WaitersPastTheBoundGet503AtOnce) {
  auto api = MakeApi(std::chrono::seconds(600), "", 3);
  std::vector<std::future<net::HttpResponse>> waiting;
  for (int i = 0; i < 3; ++i) waiting.push_back(Send(*api, "GET", "/v1/elections/e1/results"));
  auto over = Send(*api, "GET", "/v1/elections/e1/results/stream");
  ASSERT_EQ(over.wait_for(std::chrono::seconds(0)), std::future_status::ready)
      << "a request past the bound waits";
  auto r = over.get();
  EXPECT_EQ(r.status, 503u) << r.body;
  EXPECT_NE(r.body.find("too many requests waiting"), std::string::npos) << r.body;
  for (auto& f : waiting) {
    EXPECT_EQ(f.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);
  }
  tallies_.loaded = true;
  for (auto& f : waiting) {
    auto ok = Get(f);
    EXPECT_EQ(ok.status, 200u) << ok.body;
  }
  // Answered: their places are free again (and the election loaded answers at once anyway).
  tallies_.loaded = false;
  auto again = Send(*api, "GET", "/v1/elections/e1/results");
  EXPECT_EQ(again.wait_for(std::chrono::milliseconds(20)), std::future_status::timeout);
  tallies_.loaded = true;
  EXPECT_EQ(Get(again).status, 200u);
}

// The list reads as `urna serve`'s (app/election_list.h): an archived election only when the
// query asks for it, and a wrong query is a 400, not ignored.
TEST_F(ResultServerApiTest, ArchivedElectionsAreListedOnlyWhenAskedFor) {
  Election old;
  old.id = "old";
  old.title = "Old";
  old.options = {{"a", "A"}};
  old.status = ElectionStatus::kFinal;
  old.archived_at_ms = 1'700'000'000'000;
  ASSERT_TRUE(catalog_.Create(old).ok());
  auto api = MakeApi(std::chrono::milliseconds(50));
  auto list = [&](std::string query) {
    net::HttpRequest req;
    req.query = std::move(query);
    auto f = Send(*api, "GET", "/v1/elections", req);
    return Get(f);
  };
  for (const char* q : {"", "archived=exclude"}) {
    auto r = list(q);
    EXPECT_EQ(r.status, 200u) << q;
    EXPECT_NE(r.body.find(R"("id":"e1")"), std::string::npos) << q << " " << r.body;
    EXPECT_EQ(r.body.find(R"("id":"old")"), std::string::npos) << q << " " << r.body;
  }
  auto all = list("archived=include");
  EXPECT_NE(all.body.find(R"("id":"e1")"), std::string::npos) << all.body;
  EXPECT_NE(all.body.find(R"("id":"old")"), std::string::npos) << all.body;
  auto only = list("archived=only");
  EXPECT_EQ(only.body.find(R"("id":"e1")"), std::string::npos) << only.body;
  EXPECT_NE(only.body.find(R"("id":"old")"), std::string::npos) << only.body;
  auto wrong = list("archived=yes");
  EXPECT_EQ(wrong.status, 400u) << wrong.body;
  EXPECT_NE(wrong.body.find("archived=include"), std::string::npos) << wrong.body;
}

// A push stream that records what it is sent and whether it was closed.
class RecordingStream final : public net::PushStream {
 public:
  using net::PushStream::Push;
  void Push(std::shared_ptr<const std::string> m, std::shared_ptr<DeliveryTracker>) override {
    pushed.push_back(*m);
  }
  void PushKeepAlive(std::shared_ptr<const std::string>) override {}
  bool closed() const override { return closed_; }
  void Close() override { closed_ = true; }
  std::vector<std::string> pushed;

 private:
  bool closed_ = false;
};

// A stream the hub refuses (it stopped: a drain) is closed at once, not left open and silent.
TEST_F(ResultServerApiTest, AStreamTheHubRefusesIsClosed) {
  tallies_.loaded = true;
  net::HttpRequest req;
  req.method = "GET";
  req.path = "/v1/elections/e1/results/stream";
  auto r = StreamResponse(hub_, catalog_, req, "e1", /*websocket=*/false);
  ASSERT_TRUE(r.upgrade.has_value());
  auto viewer = std::make_shared<RecordingStream>();
  r.upgrade->on_open(viewer);
  EXPECT_FALSE(viewer->closed());
  EXPECT_EQ(viewer->pushed.size(), 1u) << "the current snapshot at once";
  hub_.Stop();
  auto late = StreamResponse(hub_, catalog_, req, "e1", /*websocket=*/false);
  ASSERT_TRUE(late.upgrade.has_value());
  auto refused = std::make_shared<RecordingStream>();
  late.upgrade->on_open(refused);
  EXPECT_TRUE(refused->closed());
  EXPECT_TRUE(refused->pushed.empty());
}

}  // namespace
}  // namespace urna::app
