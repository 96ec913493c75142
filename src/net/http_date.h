#pragma once

#include <string>

namespace urna::net {

// The `Date` header's value (RFC 9110 6.6.1: an origin server with a clock sends it), e.g.
// "Sun, 06 Nov 1994 08:49:37 GMT", formatted once a second per thread (the reference is to a
// thread_local: valid on the calling thread until its next call). Used by every answer: the
// HTTP session's, the SSE stream's head, the WebSocket 101 and its refusals, and the accept
// loop's 503 over the connection cap.
const std::string& HttpDate();

}  // namespace urna::net
