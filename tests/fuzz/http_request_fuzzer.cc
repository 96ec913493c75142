// Fuzzes the HTTP request path up to the handler: Boost.Beast's request_parser with the limits
// HttpServer sets (HttpServerOptions' defaults for max_body_bytes and max_header_bytes), the
// conversion of a parsed request to net::HttpRequest, and net::Router's matching of its path
// against the API's route patterns.
//
// The input is the byte stream a client sends on one connection. As in HttpServer's Session,
// requests are parsed one after another from the same buffer (pipelining), each with a fresh
// parser, until an error (a 400/413/431 and a close), a request without keep-alive, or a
// WebSocket upgrade. The stream is parsed twice, all at once and in small pieces as a socket
// may deliver it, and both must give the same requests, and an error in both or neither. (Not
// the same error: Beast checks the fields of a header it has seen part of only once, so a bad
// field in an unterminated header is "bad field" in one read and "partial message" in many;
// both are a 400 and a close.)
//
// Not covered: the socket I/O, timeouts, connection limits and response writing of
// src/net/http_session.cc, and the conversion code itself, which lives inline in
// HttpSession::OnRead and is mirrored in ToRequest below (keep the two in
// step, or call the server's function once it has one).
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "net/http_server.h"
#include "net/request_conversion.h"
#include "net/router.h"

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using urna::net::HttpRequest;

// One parsed request or the error that ended the connection.
struct Outcome {
  std::string method, path, query, authorization, x_forwarded_for, body;
  bool websocket = false;
  bool keep_alive = false;
  bool error = false;
  bool operator==(const Outcome&) const = default;
};

// Parses `stream` as a connection does, handing it to the parser `piece` bytes at a time.
std::vector<Outcome> Parse(std::string_view stream, size_t piece) {
  const urna::net::HttpServerOptions opts;  // the server's defaults
  std::vector<Outcome> out;
  beast::flat_buffer buffer;
  size_t fed = 0;
  while (true) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(opts.max_body_bytes);
    parser.header_limit(static_cast<uint32_t>(opts.max_header_bytes));
    beast::error_code ec;
    while (!parser.is_done()) {
      if (buffer.size() > 0) {
        size_t used = parser.put(buffer.data(), ec);
        buffer.consume(used);
        if (ec == http::error::need_more) {
          ec = {};
        } else if (ec) {
          break;
        } else if (used > 0) {
          continue;
        }
      }
      if (fed == stream.size()) {  // the client closed its side
        if (parser.got_some()) {
          parser.put_eof(ec);
          if (!ec && !parser.is_done()) ec = http::error::partial_message;
        } else {
          ec = http::error::end_of_stream;
        }
        break;
      }
      size_t n = std::min(piece, stream.size() - fed);
      auto dst = buffer.prepare(n);
      std::memcpy(dst.data(), stream.data() + fed, n);
      buffer.commit(n);
      fed += n;
    }
    Outcome o;
    if (ec) {
      if (ec != http::error::end_of_stream) {
        o.error = true;
        out.push_back(std::move(o));
      }
      return out;
    }
    auto& msg = parser.get();
    o.keep_alive = msg.keep_alive();
    HttpRequest r = urna::net::ToHttpRequest(msg, "");
    o.method = r.method;
    o.path = r.path;
    o.query = r.query;
    o.authorization = r.authorization;
    o.x_forwarded_for = r.x_forwarded_for;
    o.body = r.body;
    o.websocket = r.websocket;
    out.push_back(std::move(o));
    if (!msg.keep_alive() || r.websocket) return out;  // the server stops reading here
  }
}

// A router with the API's route patterns (src/app/*_routes.cc); each handler checks what the
// router hands it.
urna::net::Router& Routes() {
  static urna::net::Router* router = [] {
    auto* r = new urna::net::Router();
    const char* kRoutes[][2] = {
        {"GET", "/"},
        {"GET", "/admin"},
        {"GET", "/e/{id}"},
        {"GET", "/static/{file}"},
        {"GET", "/healthz"},
        {"GET", "/metrics"},
        {"GET", "/v1/info"},
        {"POST", "/v1/demo/token"},
        {"POST", "/v1/elections"},
        {"GET", "/v1/elections"},
        {"GET", "/v1/elections/{id}"},
        {"POST", "/v1/elections/{id}/open"},
        {"POST", "/v1/elections/{id}/close"},
        {"POST", "/v1/elections/{id}/votes"},
        {"GET", "/v1/elections/{id}/votes/{vote_id}"},
        {"GET", "/v1/elections/{id}/results"},
        {"GET", "/v1/elections/{id}/results/stream"},
        {"GET", "/v1/elections/{id}/results/ws"},
        {"GET", "/v1/elections/{id}/audit"},
        {"GET", "/v1/elections/{id}/audit/report.html"},
        {"GET", "/v1/elections/{id}/audit/ledger.csv"},
        {"GET", "/v1/elections/{id}/recount"},
        {"POST", "/v1/elections/{id}/recount"},
    };
    for (const auto& [method, pattern] : kRoutes) {
      size_t params = 0;
      for (const char* c = pattern; *c; ++c) params += *c == '{';
      r->Add(method, pattern,
             [params](HttpRequest&, urna::net::PathParams& p, urna::net::Responder done) {
               // A parameter is one whole, non-empty path segment.
               if (p.size() != params) abort();
               for (const auto& s : p) {
                 if (s.empty() || s.find('/') != std::string::npos) abort();
               }
               done(urna::net::Response(200, "text/plain", "ok"));
             });
    }
    return r;
  }();
  return *router;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view stream(reinterpret_cast<const char*>(data), size);
  auto whole = Parse(stream, stream.size() + 1);
  auto pieces = Parse(stream, 97);  // a prime: splits tokens at varying places
  if (whole != pieces) abort();     // the parse must not depend on how bytes arrive
  for (const auto& o : whole) {
    if (o.error) continue;
    HttpRequest r;
    r.method = o.method;
    r.path = o.path;
    r.query = o.query;
    r.body = o.body;
    int answered = 0;
    const bool options = r.method == "OPTIONS";
    Routes().Handle(std::move(r), [&answered, options](urna::net::HttpResponse res) {
      ++answered;
      const bool allow = std::any_of(res.headers.begin(), res.headers.end(),
                                     [](const auto& h) { return h.first == "Allow"; });
      // OPTIONS on a known resource answers 204 with what it allows; a known resource without
      // the method answers 405 with Allow; an unknown one 404.
      if (res.status == 204 && !(options && allow)) abort();
      if (res.status == 405 && !allow) abort();
      if (res.status != 200 && res.status != 204 && res.status != 404 && res.status != 405) {
        abort();
      }
    });
    if (answered != 1) abort();  // every request gets exactly one response
  }
  return 0;
}
