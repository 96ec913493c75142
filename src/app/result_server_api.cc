#include "app/result_server_api.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <map>
#include <thread>
#include <utility>
#include <vector>

#include "app/election_list.h"
#include "app/json_util.h"
#include "app/result_routes.h"
#include "app/web_assets.h"
#include "app/web_pages.h"
#include "sync/mutex.h"

namespace urna::app {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr std::chrono::milliseconds kLoadPoll{10};
// Elections only waited for by requests for an id the catalog does not know yet: its refreshes
// come every 250 ms, so a coarser look (up to 1,000 such ids: 20,000 looks a second at most).
constexpr std::chrono::milliseconds kCatalogPoll{50};

net::HttpResponse NotHere() {
  return net::ErrorResponse(404, "not_found",
                            "this is a result server (urna results): it serves results and the "
                            "web pages; votes, receipts, audit and administration go to "
                            "urna ingest");
}

}  // namespace

// One thread running an io_context: the timers of the elections waited for, and the waiters.
struct ResultServerApi::Waits {
  struct Waiter {
    std::chrono::steady_clock::time_point deadline;
    Responder respond;
    Answer answer;
    bool tallies = true;        // waits for the election's tallies too, once it is known
    uint64_t catalog_need = 0;  // unknown at arrival: done once refreshes_ended >= this
  };
  struct Election {
    explicit Election(asio::io_context& ctx) : timer(ctx) {}
    asio::steady_timer timer;  // used on the thread only
    std::vector<Waiter> waiters;
  };

  asio::io_context ctx;
  asio::executor_work_guard<asio::io_context::executor_type> work{ctx.get_executor()};
  Mutex mu;
  bool shut_down GUARDED_BY(mu) = false;
  size_t waiting GUARDED_BY(mu) = 0;
  size_t unknown_waiting GUARDED_BY(mu) = 0;  // of `waiting`: for an election not yet known
  std::map<std::string, std::unique_ptr<Election>, std::less<>> elections GUARDED_BY(mu);
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
  {
    MutexLock lock(waits_->mu);
    if (waits_->shut_down) return;
    waits_->shut_down = true;  // from now on nobody is added: nothing is posted after the end
  }
  // On the thread (its timers are used there only): every waiter answered as things stand.
  asio::post(waits_->ctx, [this] {
    std::vector<Waits::Waiter> done;
    {
      MutexLock lock(waits_->mu);
      for (auto& [id, e] : waits_->elections) {
        for (auto& w : e->waiters) done.push_back(std::move(w));
      }
      waits_->elections.clear();  // cancels the timers: their handlers find nothing
      waits_->waiting = 0;
      waits_->unknown_waiting = 0;
    }
    for (auto& w : done) w.respond(w.answer());
  });
  waits_->work.reset();
  if (waits_->thread.joinable()) waits_->thread.join();
}

void ResultServerApi::Handle(net::HttpRequest request, net::Responder respond) {
  // A result server takes no writes of any kind: one clear answer for every one of them
  // (those of routes added to `urna serve` later included).
  // OPTIONS reads nothing: a CORS preflight, or what a resource allows.
  if (request.method != "GET" && request.method != "HEAD" && request.method != "OPTIONS") {
    return respond(NotHere());
  }
  deps_.cors.Handle(std::move(request), std::move(respond),
                    [this](net::HttpRequest r, net::Responder done) {
                      router_.Handle(std::move(r), std::move(done));
                    });
}

void ResultServerApi::AddRoutes() {
  // Results: answered once the election's tallies are loaded from Redis.
  for (const char* method : {"GET", "HEAD"}) {  // HEAD: the server leaves the body out
    router_.Add(method, "/v1/elections/{id}/results", [this](Request& req, Params& p, Responder r) {
      auto shared = std::make_shared<Request>(std::move(req));
      WhenLoaded(p[0], std::move(r),
                 [this, shared, id = p[0]] { return ResultsResponse(deps_.hub, *shared, id); });
    });
  }
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
  // The elections, as the pages read them (from the catalog's memory), as `urna serve` lists
  // them: archived ones only when asked for (app/election_list.h).
  router_.Add("GET", "/v1/elections", [this](Request& req, Params&, Responder respond) {
    respond(ElectionListResponse(deps_.catalog, req.query));
  });
  // An election and its pages: once the catalog knows it (a moment after another process
  // created it: WhenLoaded), its tallies not needed.
  router_.Add("GET", "/v1/elections/{id}", [this](Request&, Params& p, Responder respond) {
    WhenLoaded(
        p[0], std::move(respond),
        [this, id = p[0]] {
          auto e = deps_.catalog.Get(id);
          return e.ok() ? JsonResponse(200, ElectionJson(**e)) : StatusResponse(e.status());
        },
        /*tallies=*/false);
  });
  // The web pages, as `urna serve` serves them (app/web_pages.h: in the request's language).
  router_.Add("GET", "/", [](Request& req, Params&, Responder respond) {
    respond(PageResponse("index.html", req.accept_language));
  });
  for (const auto& page :
       {std::pair{"/e/{id}", "vote.html"}, std::pair{"/e/{id}/present", "present.html"}}) {
    const char* file = page.second;  // a plain variable: clang 14 cannot capture a binding
    router_.Add("GET", page.first, [this, file](Request& req, Params& p, Responder respond) {
      WhenLoaded(
          p[0], std::move(respond),
          [this, file, id = p[0], lang = req.accept_language] {
            return ElectionPageResponse(deps_.catalog, id, file, lang);
          },
          /*tallies=*/false);
    });
  }
  // The admin page is not here: its calls would all be refused.
  router_.Add("GET", "/static/{file}",
              [](Request&, Params& p, Responder respond) { respond(WebAssetResponse(p[0])); });
  router_.Add("GET", "/favicon.ico", [](Request&, Params&, Responder respond) {
    respond(WebAssetResponse("favicon.svg"));
  });
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

bool ResultServerApi::Loading(const std::string& election_id) {
  auto t = deps_.tallies.Get(election_id);  // from memory; asks for the read if missing
  return !t.ok() && t.status().code() == Code::kUnavailable;
}

void ResultServerApi::WhenLoaded(const std::string& election_id, Responder respond, Answer answer,
                                 bool tallies) {
  const bool known = deps_.catalog.Get(election_id).ok();
  const bool can_wait_for_catalog = deps_.catalog_refreshes_begun && deps_.catalog_refreshes_ended;
  if (known ? !tallies || !Loading(election_id) : !can_wait_for_catalog) {
    return respond(answer());
  }
  const char* refused = nullptr;
  bool at_once = false;
  {
    MutexLock lock(waits_->mu);
    if (!known && (waits_->shut_down || waits_->unknown_waiting >= deps_.max_unknown_waiters ||
                   waits_->waiting >= deps_.max_load_waiters)) {
      // No room to wait for the catalog (or stopping): answered as without a refresh to wait
      // for (most likely 404), never with the loads' 503.
      at_once = true;
    } else if (waits_->shut_down) {
      refused = "the result server is stopping";
    } else if (waits_->waiting >= deps_.max_load_waiters) {
      refused = "too many requests waiting for results to load, retry";
    } else {
      auto& e = waits_->elections[election_id];
      const bool first = e == nullptr;
      if (first) e = std::make_unique<Waits::Election>(waits_->ctx);
      // Unknown: a refresh that begins after this look is one that can see it.
      const uint64_t need = known ? 0 : deps_.catalog_refreshes_begun() + 1;
      e->waiters.push_back({std::chrono::steady_clock::now() + deps_.load_wait, std::move(respond),
                            std::move(answer), tallies, need});
      ++waits_->waiting;
      if (!known) ++waits_->unknown_waiting;
      // Posted under the lock: before any Shutdown's final answer (which is posted after it).
      if (first) asio::post(waits_->ctx, [this, election_id] { Poll(election_id); });
    }
  }
  if (at_once) return respond(answer());
  if (refused) respond(net::ErrorResponse(503, "unavailable", refused));
}

// Answers the election's waiters whose tallies came, whose election the catalog's refresh has
// shown or not, or whose wait ended; checks again in kLoadPoll while some wait (kCatalogPoll
// while all of them wait for the catalog: a refresh comes every 250 ms).
void ResultServerApi::Poll(const std::string& election_id) {
  // The refresh number first, the catalog second: a refresh counts as ended only after its merge,
  // so an election it brought in is seen as known below (and waits for its tallies if need be).
  const uint64_t refreshed = deps_.catalog_refreshes_ended ? deps_.catalog_refreshes_ended() : 0;
  const bool known = deps_.catalog.Get(election_id).ok();
  bool tallies_wanted = false;
  if (known) {
    MutexLock lock(waits_->mu);
    auto it = waits_->elections.find(election_id);
    if (it == waits_->elections.end()) return;  // answered by Shutdown
    for (const auto& w : it->second->waiters) tallies_wanted = tallies_wanted || w.tallies;
  }
  // The tallies are only asked for once the catalog knows the election and a waiter wants them:
  // an unknown (perhaps random) id, or a page, never turns into a read of Redis.
  const bool loaded = tallies_wanted && !Loading(election_id);
  const auto now = std::chrono::steady_clock::now();
  std::vector<Waits::Waiter> done;
  {
    MutexLock lock(waits_->mu);
    auto it = waits_->elections.find(election_id);
    if (it == waits_->elections.end()) return;  // answered by Shutdown
    auto& waiters = it->second->waiters;
    bool all_for_catalog = true;
    for (auto w = waiters.begin(); w != waiters.end();) {
      const bool ready = known ? !w->tallies || loaded : refreshed >= w->catalog_need;
      if (ready || now >= w->deadline) {
        if (w->catalog_need != 0) --waits_->unknown_waiting;
        done.push_back(std::move(*w));
        w = waiters.erase(w);
      } else {
        if (known && w->catalog_need != 0) {  // known now: waits for its tallies like any other
          w->catalog_need = 0;
          --waits_->unknown_waiting;
        }
        all_for_catalog = all_for_catalog && w->catalog_need != 0;
        ++w;
      }
    }
    waits_->waiting -= done.size();
    if (waiters.empty()) {
      waits_->elections.erase(it);
    } else {
      it->second->timer.expires_after(all_for_catalog ? kCatalogPoll : kLoadPoll);
      it->second->timer.async_wait([this, election_id](const boost::system::error_code& ec) {
        if (!ec) Poll(election_id);
      });
    }
  }
  for (auto& w : done) w.respond(w.answer());
}

}  // namespace urna::app
