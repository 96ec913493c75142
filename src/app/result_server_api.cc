#include "app/result_server_api.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <thread>

#include "app/json_util.h"
#include "app/result_routes.h"
#include "app/web_assets.h"

namespace urna::app {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr std::chrono::milliseconds kLoadPoll{10};

net::HttpResponse NotHere() {
  return net::ErrorResponse(404, "not_found",
                            "this is a result server (urna results): it serves results and the "
                            "web pages; votes, receipts, audit and administration go to "
                            "urna ingest");
}

}  // namespace

// One thread running an io_context: the timers of the requests waiting for their tallies.
struct ResultServerApi::Waits {
  asio::io_context ctx;
  asio::executor_work_guard<asio::io_context::executor_type> work{ctx.get_executor()};
  std::thread thread{[this] {
    pthread_setname_np(pthread_self(), "urna-results-wait");
    ctx.run();
  }};
};

ResultServerApi::ResultServerApi(ResultServerDeps deps)
    : deps_(std::move(deps)), waits_(std::make_unique<Waits>()) {
  AddRoutes();
}

ResultServerApi::~ResultServerApi() { Shutdown(); }

void ResultServerApi::Shutdown() {
  if (!waits_) return;
  // The waits still pending finish (each within load_wait) and answer; then the thread ends.
  waits_->work.reset();
  if (waits_->thread.joinable()) waits_->thread.join();
  waits_.reset();
}

void ResultServerApi::Handle(net::HttpRequest request, net::Responder respond) {
  // A result server takes no writes of any kind: one clear answer for every one of them
  // (those of routes added to `urna serve` later included).
  if (request.method != "GET" && request.method != "HEAD") return respond(NotHere());
  router_.Handle(std::move(request), std::move(respond));
}

void ResultServerApi::AddRoutes() {
  // Results: answered once the election's tallies are loaded from Redis.
  router_.Add("GET", "/v1/elections/{id}/results", [this](Request& req, Params& p, Responder r) {
    auto shared = std::make_shared<Request>(std::move(req));
    WhenLoaded(p[0], std::move(r),
               [this, shared, id = p[0]] { return ResultsResponse(deps_.hub, *shared, id); });
  });
  for (bool websocket : {false, true}) {
    router_.Add("GET",
                websocket ? "/v1/elections/{id}/results/ws" : "/v1/elections/{id}/results/stream",
                [this, websocket](Request& req, Params& p, Responder r) {
                  auto shared = std::make_shared<Request>(std::move(req));
                  WhenLoaded(p[0], std::move(r), [this, shared, websocket, id = p[0]] {
                    // Still no tallies (Redis down since start-up): a clear 503, not a stream
                    // that would stay empty.
                    if (auto f = deps_.hub.Current(id); !f.ok()) return StatusResponse(f.status());
                    return StreamResponse(deps_.hub, deps_.catalog, *shared, id, websocket);
                  });
                });
  }
  // The elections, as the pages read them (from the catalog's memory).
  router_.Add("GET", "/v1/elections", [this](Request&, Params&, Responder respond) {
    json::array list;
    for (const auto& e : deps_.catalog.List()) list.push_back(ElectionJson(*e));
    respond(JsonResponse(200, json::object{{"elections", std::move(list)}}));
  });
  router_.Add("GET", "/v1/elections/{id}", [this](Request&, Params& p, Responder respond) {
    auto e = deps_.catalog.Get(p[0]);
    respond(e.ok() ? JsonResponse(200, ElectionJson(**e)) : StatusResponse(e.status()));
  });
  // The web pages.
  auto page = [this](const char* pattern, const char* file) {
    router_.Add("GET", pattern,
                [file](Request&, Params&, Responder respond) { respond(WebAssetResponse(file)); });
  };
  page("/", "index.html");
  page("/e/{id}", "vote.html");
  page("/admin", "admin.html");
  router_.Add("GET", "/static/{file}",
              [](Request&, Params& p, Responder respond) { respond(WebAssetResponse(p[0])); });
  router_.Add("GET", "/v1/info", [](Request&, Params&, Responder respond) {
    respond(JsonResponse(200, json::object{{"demo", false}}));
  });
  // The write side's read routes: not here either.
  for (const char* pattern :
       {"/v1/elections/{id}/votes/{vote_id}", "/v1/elections/{id}/challenge",
        "/v1/elections/{id}/recount", "/v1/elections/{id}/audit",
        "/v1/elections/{id}/audit/report.html", "/v1/elections/{id}/audit/ledger.csv"}) {
    router_.Add("GET", pattern, [](Request&, Params&, Responder respond) { respond(NotHere()); });
  }
  router_.Add("GET", "/healthz", [this](Request& req, Params& p, Responder respond) {
    GetHealthz(req, p, std::move(respond));
  });
  router_.Add("GET", "/metrics", [this](Request&, Params&, Responder respond) {
    respond(net::Response(200, "text/plain; version=0.0.4", deps_.metrics ? deps_.metrics() : ""));
  });
}

// 200 while the server serves, even from old data: a balancer must not take every result server
// out because Redis is down (they are then the only place the last results are). "degraded"
// says why they may be old; alert on it or on urna_results_stale.
void ResultServerApi::GetHealthz(Request&, Params&, Responder respond) {
  std::string problem = deps_.problem ? deps_.problem() : "";
  json::object o{{"status", problem.empty() ? "ok" : "degraded"},
                 {"role", "results"},
                 {"node", deps_.node_id}};
  if (!problem.empty()) o["problem"] = problem;
  respond(JsonResponse(200, o));
}

void ResultServerApi::WhenLoaded(const std::string& election_id, Responder respond, Answer answer) {
  auto loading = [this, election_id] {
    auto t = deps_.tallies.Get(election_id);  // from memory; asks for the read if missing
    return !t.ok() && t.status().code() == Code::kUnavailable;
  };
  if (!deps_.catalog.Get(election_id).ok() || !loading()) return respond(answer());
  struct Wait {
    asio::steady_timer timer;
    std::chrono::steady_clock::time_point deadline;
    Responder respond;
    Answer answer;
  };
  auto w = std::make_shared<Wait>(Wait{asio::steady_timer(waits_->ctx),
                                       std::chrono::steady_clock::now() + deps_.load_wait,
                                       std::move(respond), std::move(answer)});
  // Polls the cache's memory every kLoadPoll (a few per first request of an election).
  auto poll = std::make_shared<std::function<void()>>();
  *poll = [w, poll, loading] {
    w->timer.expires_after(kLoadPoll);
    w->timer.async_wait([w, poll, loading](const boost::system::error_code& ec) {
      if (!ec && loading() && std::chrono::steady_clock::now() < w->deadline) return (*poll)();
      *poll = nullptr;  // breaks the cycle
      w->respond(w->answer());
    });
  };
  asio::post(waits_->ctx, [poll] { (*poll)(); });
}

}  // namespace urna::app
