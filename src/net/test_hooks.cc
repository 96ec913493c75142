// Test hooks of HttpServer, answered only when the process runs with URNA_TEST_HOOKS=1 (never in
// production; e2e tests set it). They let a test show by structure, not by timing, that the
// write side never waits for the read side:
//   POST /_test/streams/stall    holds every read-side thread inside a blocking task; answered
//                                200 once all of them are held (409 without read-side threads)
//   POST /_test/streams/release  lets them go (200)
// The answers are produced on the read-side threads' behalf but sent by this connection's own
// network thread, like any answer.
#include <boost/asio/post.hpp>

#include "net/server_internal.h"

namespace urna::net {

bool HttpServer::Impl::HandleTestHook(const HttpRequest& request, const Responder& respond) {
  if (request.path == "/_test/streams/stall" && request.method == "POST") {
    if (stream_shards.empty()) {
      respond(ErrorResponse(409, "conflict", "no read-side threads (--stream-threads 0)"));
      return true;
    }
    std::lock_guard lock(stall_mu);
    if (stall) {
      respond(ErrorResponse(409, "conflict", "the read side is already stalled"));
      return true;
    }
    stall = std::make_shared<StreamStall>();
    size_t n = stream_shards.size();
    for (auto& shard : stream_shards) {
      boost::asio::post(shard->ctx, [st = stall, n, respond] {
        std::unique_lock l(st->mu);
        if (++st->entered == n) respond(Response(200, "application/json", R"({"stalled":true})"));
        st->cv.wait(l, [&] { return st->released; });
      });
    }
    return true;
  }
  if (request.path == "/_test/streams/release" && request.method == "POST") {
    ReleaseStall();
    respond(Response(200, "application/json", R"({"stalled":false})"));
    return true;
  }
  return false;
}

void HttpServer::Impl::ReleaseStall() {
  std::shared_ptr<StreamStall> st;
  {
    std::lock_guard lock(stall_mu);
    st = std::move(stall);
  }
  if (!st) return;
  {
    std::lock_guard l(st->mu);
    st->released = true;
  }
  st->cv.notify_all();
}

}  // namespace urna::net
