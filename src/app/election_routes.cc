// Election routes: create, list, get, open, close (docs/api.md).
#include "app/api.h"
#include "app/election_spec.h"
#include "app/json_util.h"
#include "audit/seal.h"

namespace urna::app {
namespace json = boost::json;

void Api::AddElectionRoutes() {
  router_.Add("POST", "/v1/elections",
              [this](net::HttpRequest& req, net::PathParams&, net::Responder respond) {
                if (auto s = Admin(req); !s.ok()) return respond(StatusResponse(s));
                auto e = ParseElectionSpec(req.body);
                if (!e.ok()) return respond(StatusResponse(e.status()));
                e->created_at_ms = d_.clock.NowMs();
                OffThread(std::move(respond), [this, e = std::move(*e)] {
                  if (auto s = d_.catalog.Create(e); !s.ok()) return StatusResponse(s);
                  auto r = JsonResponse(201, ElectionJson(e));
                  r.headers.emplace_back("Location", "/v1/elections/" + e.id);
                  return r;
                });
              });

  router_.Add("GET", "/v1/elections",
              [this](net::HttpRequest&, net::PathParams&, net::Responder respond) {
                json::array list;
                for (const auto& e : d_.catalog.List()) list.push_back(ElectionJson(*e));
                respond(JsonResponse(200, json::object{{"elections", std::move(list)}}));
              });

  router_.Add("GET", "/v1/elections/{id}",
              [this](net::HttpRequest&, net::PathParams& p, net::Responder respond) {
                auto e = d_.catalog.Get(p[0]);
                if (!e.ok()) return respond(StatusResponse(e.status()));
                respond(JsonResponse(200, ElectionJson(**e)));
              });

  auto lifecycle = [this](bool open) {
    return [this, open](net::HttpRequest& req, net::PathParams& p, net::Responder respond) {
      if (auto s = Admin(req); !s.ok()) return respond(StatusResponse(s));
      OffThread(std::move(respond), [this, open, id = p[0]] {
        std::lock_guard lock(lifecycle_mu_);
        if (!open) {  // close: ingest stops taking votes, then the seal goes into the log
          auto e = CloseAndSeal(d_.ingest.gate(), d_.catalog, d_.log, id, d_.clock);
          return e.ok() ? JsonResponse(200, ElectionJson(*e)) : StatusResponse(e.status());
        }
        auto cur = d_.catalog.Get(id);
        if (!cur.ok()) return StatusResponse(cur.status());
        Election e = **cur;
        Status s = OpenElection(e, d_.clock.NowMs());
        if (s.ok() && e.status != (*cur)->status) s = d_.catalog.Update(e);
        if (!s.ok()) return StatusResponse(s);
        return JsonResponse(200, ElectionJson(e));
      });
    };
  };
  router_.Add("POST", "/v1/elections/{id}/open", lifecycle(true));
  router_.Add("POST", "/v1/elections/{id}/close", lifecycle(false));
}

}  // namespace urna::app
