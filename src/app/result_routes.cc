// Result routes (docs/api.md): the snapshot (cacheable, ETag), and the live streams over SSE
// and WebSocket, all fed by the ResultsHub with the same bytes.
#include "app/result_routes.h"

#include "app/api.h"
#include "app/etag_match.h"
#include "app/json_util.h"

namespace urna::app {
namespace {

// Joins a hub subscription to a connection's push stream.
class StreamSubscriber final : public results::Subscriber {
 public:
  StreamSubscriber(std::shared_ptr<net::PushStream> stream, bool websocket)
      : stream_(std::move(stream)), websocket_(websocket) {}
  void Deliver(const std::shared_ptr<const results::ResultFrame>& frame) override {
    stream_->Push(websocket_ ? frame->json : frame->sse);
  }
  void DeliverTracked(const std::shared_ptr<const results::ResultFrame>& frame,
                      const std::shared_ptr<DeliveryTracker>& tracker) override {
    stream_->Push(websocket_ ? frame->json : frame->sse, tracker);
  }
  void Heartbeat() override {
    static const auto kBeat = std::make_shared<const std::string>(": keep-alive\n\n");
    if (!websocket_) stream_->PushKeepAlive(kBeat);  // WebSockets have their own pings
  }
  bool closed() const override { return stream_->closed(); }
  void End() override { stream_->Close(); }

 private:
  std::shared_ptr<net::PushStream> stream_;
  const bool websocket_;
};

}  // namespace

net::HttpResponse ResultsResponse(results::ResultsHub& hub, const net::HttpRequest& req,
                                  const std::string& election_id) {
  auto frame = hub.Current(election_id);
  if (!frame.ok()) return StatusResponse(frame.status());
  const auto& f = **frame;
  net::HttpResponse r;
  if (IfNoneMatchHits(req.if_none_match, f.etag)) {
    r.status = 304;
  } else {
    r.body = *f.json;
  }
  r.headers.emplace_back("ETag", f.etag);
  r.headers.emplace_back("Cache-Control", "public, max-age=1");
  return r;
}

// Upgrades the connection to a push stream subscribed to the election's snapshots.
net::HttpResponse StreamResponse(results::ResultsHub& hub, Catalog& catalog,
                                 const net::HttpRequest& req, const std::string& election_id,
                                 bool websocket) {
  if (websocket && !req.websocket) {
    return StatusResponse({Code::kInvalidArgument, "this resource needs a WebSocket upgrade"});
  }
  if (auto e = catalog.Get(election_id); !e.ok()) return StatusResponse(e.status());
  net::HttpResponse r;
  net::StreamUpgrade up;
  up.kind = websocket ? net::StreamUpgrade::kWebSocket : net::StreamUpgrade::kSse;
  up.on_open = [&hub, websocket, id = election_id](std::shared_ptr<net::PushStream> s) {
    // The current snapshot at once, then changes. Last-Event-ID is not read: a reconnect
    // starts from the full snapshot too (docs/api.md).
    // Refused only once the hub is stopped (a drain): closed at once, not left open and silent.
    if (!hub.Subscribe(id, std::make_shared<StreamSubscriber>(s, websocket)).ok()) s->Close();
  };
  r.upgrade = std::move(up);
  return r;
}

void Api::GetResults(Request& req, Params& p, Responder respond) {
  respond(ResultsResponse(deps_.hub, req, p[0]));
}

void Api::GetResultStream(Request& req, Params& p, Responder respond) {
  Subscribe(req, p, std::move(respond), /*websocket=*/false);
}

void Api::GetResultWebSocket(Request& req, Params& p, Responder respond) {
  Subscribe(req, p, std::move(respond), /*websocket=*/true);
}

void Api::Subscribe(Request& req, Params& p, Responder respond, bool websocket) {
  respond(StreamResponse(deps_.hub, deps_.catalog, req, p[0], websocket));
}

}  // namespace urna::app
