// The heads of HTTP/1.1 answers, rendered by hand: the session's answer (http_session.cc) and a
// Server-Sent Events stream's 200 at its hand-off. Beast's serializer allocates a node per header
// field; on the vote path that was a measurable share of the CPU per request, and a response
// head is simple enough to render directly. Pure functions; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "net/http_types.h"

namespace urna::net {

// How the head announces the body that follows it.
enum class BodyFraming {
  kNone,     // no framing header: a 204 or a 304, which have no content
  kChunked,  // Transfer-Encoding: chunked (a body pipe of unknown length)
  kLength,   // Content-Length: `content_length`
};

// Replaces `out` with the head of `resp`: the status line, Server, Date, Content-Type (not on a
// 304), the framing header, `resp.headers` in order, `Connection: close` unless `keep_alive`,
// and the empty line. `resp`'s body, pipe and upgrade are not looked at.
void RenderResponseHead(const HttpResponse& resp, BodyFraming framing, uint64_t content_length,
                        bool keep_alive, std::string& out);

// The head of a Server-Sent Events stream's 200 (no caching, no proxy buffering), with `headers`
// added, ending with the empty line.
std::string EventStreamHead(const std::vector<std::pair<std::string, std::string>>& headers);

}  // namespace urna::net
