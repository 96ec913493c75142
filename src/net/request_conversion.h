// Private to src/net (and its HTTP fuzzer): the one place where a request parsed by Beast becomes
// the plain net::HttpRequest handed to the handler. Includes Beast, so no public header may
// include it. Pure function; any thread.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <string>
#include <string_view>

#include "net/http_types.h"

namespace urna::net {

// Moves the body out of `req`; several X-Forwarded-For headers are joined with ',' in order.
inline HttpRequest ToHttpRequest(boost::beast::http::request<boost::beast::http::string_body>& req,
                                 std::string peer) {
  namespace http = boost::beast::http;
  HttpRequest r;
  r.method = std::string(req.method_string());
  std::string_view target = req.target();
  size_t q = target.find('?');
  r.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) r.query = std::string(target.substr(q + 1));
  r.authorization = std::string(req[http::field::authorization]);
  r.content_type = std::string(req[http::field::content_type]);
  r.if_none_match = std::string(req[http::field::if_none_match]);
  r.accept_language = std::string(req[http::field::accept_language]);
  r.origin = std::string(req[http::field::origin]);
  r.host = std::string(req[http::field::host]);
  r.access_control_request_method = std::string(req[http::field::access_control_request_method]);
  r.access_control_request_headers = std::string(req[http::field::access_control_request_headers]);
  for (auto [it, end] = req.equal_range("X-Forwarded-For"); it != end; ++it) {
    if (!r.x_forwarded_for.empty()) r.x_forwarded_for += ',';
    r.x_forwarded_for += it->value();
  }
  r.peer = std::move(peer);
  r.body = std::move(req.body());
  r.websocket = boost::beast::websocket::is_upgrade(req);
  return r;
}

}  // namespace urna::net
