#include "net/response_head.h"

#include <boost/beast/http/status.hpp>

#include "net/http_date.h"

namespace urna::net {

namespace http = boost::beast::http;

void RenderResponseHead(const HttpResponse& resp, BodyFraming framing, uint64_t content_length,
                        bool keep_alive, std::string& out) {
  out.clear();
  out += "HTTP/1.1 ";
  out += std::to_string(resp.status);
  out += ' ';
  out += http::obsolete_reason(static_cast<http::status>(resp.status));
  out += "\r\nServer: urna\r\nDate: ";
  out += HttpDate();
  if (resp.status != 304) {  // a 304 has no content, hence no type of its own
    out += "\r\nContent-Type: ";
    out += resp.content_type;
  }
  switch (framing) {
    case BodyFraming::kNone:
      break;
    case BodyFraming::kChunked:
      out += "\r\nTransfer-Encoding: chunked";
      break;
    case BodyFraming::kLength:
      out += "\r\nContent-Length: ";
      out += std::to_string(content_length);
      break;
  }
  for (const auto& [k, v] : resp.headers) {
    out += "\r\n";
    out += k;
    out += ": ";
    out += v;
  }
  out += keep_alive ? "\r\n\r\n" : "\r\nConnection: close\r\n\r\n";
}

std::string EventStreamHead(const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string head = "HTTP/1.1 200 OK\r\nServer: urna\r\nDate: " + HttpDate() +
                     "\r\nContent-Type: text/event-stream\r\nCache-Control: "
                     "no-cache\r\nX-Accel-Buffering: no\r\n";
  for (const auto& [k, v] : headers) head += k + ": " + v + "\r\n";
  head += "\r\n";
  return head;
}

}  // namespace urna::net
