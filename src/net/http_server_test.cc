// HttpServer against raw sockets: the real server on 127.0.0.1:0 with a tiny router. Keep-alive,
// pipelining, request limits, the connection cap and the busy sweep, as a client sees them.
#include "net/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "net/body_pipe.h"
#include "net/http_date_test_util.h"
#include "net/router.h"

namespace urna::net {
namespace {

constexpr auto kDeadline = std::chrono::seconds(30);  // generous: a loaded CI machine

// A blocking loopback client socket; every read gives up after kDeadline.
class Client {
 public:
  explicit Client(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{static_cast<time_t>(kDeadline.count()), 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~Client() { ::close(fd_); }
  bool connected() const { return connected_; }

  void Send(const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
      ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += static_cast<size_t>(n);
    }
  }

  struct Reply {
    int status = 0;                              // 0: no complete answer (closed or timed out)
    std::map<std::string, std::string> headers;  // lower-case names
    std::string body;
  };
  // Reads one Content-Length-framed answer.
  Reply Read() {
    Reply r;
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return r;
    }
    std::string head = buf_.substr(0, end);
    buf_.erase(0, end + 4);
    size_t line_end = head.find("\r\n");
    std::string status_line = head.substr(0, line_end);
    for (size_t pos = line_end; pos != std::string::npos && pos < head.size();) {
      size_t next = head.find("\r\n", pos + 2);
      std::string line = head.substr(pos + 2, next == std::string::npos ? next : next - pos - 2);
      size_t colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        r.headers[name] = line.substr(colon + 2);
      }
      pos = next;
    }
    size_t length = std::stoul(r.headers.count("content-length") ? r.headers["content-length"]
                                                                 : std::string("0"));
    while (buf_.size() < length) {
      if (!Fill()) return r;
    }
    r.body = buf_.substr(0, length);
    buf_.erase(0, length);
    r.status = std::stoi(status_line.substr(9, 3));
    return r;
  }
  // True once the server has closed the connection in order (FIN, nothing more to read).
  bool ClosedByServer() {
    while (Fill()) {
    }
    return eof_;
  }

 private:
  bool Fill() {
    char chunk[4096];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) {
      eof_ = n == 0;
      return false;
    }
    buf_.append(chunk, static_cast<size_t>(n));
    return true;
  }
  int fd_ = -1;
  bool connected_ = false;
  bool eof_ = false;
  std::string buf_;
};

std::string Post(const std::string& body, const std::string& extra_headers = "") {
  return "POST /echo HTTP/1.1\r\nHost: t\r\n" + extra_headers +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

template <class Done>
bool WaitUntil(Done done) {
  auto deadline = std::chrono::steady_clock::now() + kDeadline;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

// The server with routes POST /echo (answers the body) and GET /stream (an SSE push stream).
class HttpServerTest : public ::testing::Test {
 protected:
  void StartServer(HttpServerOptions o) {
    o.host = "127.0.0.1";
    o.port = 0;
    o.threads = 1;
    router_.Add("POST", "/echo", [](HttpRequest& req, PathParams&, Responder done) {
      done(Response(200, "text/plain", req.body));
    });
    router_.Add("GET", "/stream", [this](HttpRequest&, PathParams&, Responder done) {
      HttpResponse r;
      r.upgrade = StreamUpgrade{StreamUpgrade::kSse, [this](std::shared_ptr<PushStream> s) {
                                  std::lock_guard lock(mu_);
                                  streams_.push_back(std::move(s));
                                }};
      done(std::move(r));
    });
    server_ = std::make_unique<HttpServer>(o, router_);
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override {
    if (server_) server_->Stop(std::chrono::milliseconds(0));
  }
  uint16_t port() const { return server_->port(); }

  Router router_;
  std::unique_ptr<HttpServer> server_;
  std::mutex mu_;
  std::vector<std::shared_ptr<PushStream>> streams_;
};

TEST_F(HttpServerTest, KeepAliveAnswersRequestsOneAfterAnotherOnOneConnection) {
  StartServer({});
  Client c(port());
  ASSERT_TRUE(c.connected());
  for (std::string body : {"first", "second", "third"}) {
    c.Send(Post(body));
    auto r = c.Read();
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.body, body);
    EXPECT_EQ(r.headers.count("connection"), 0u) << "the connection stays open";
  }
  EXPECT_EQ(server_->stats().open, 1u);
  // Connection: close is honoured: the answer says so and the server closes in order.
  c.Send(Post("last", "Connection: close\r\n"));
  auto r = c.Read();
  EXPECT_EQ(r.body, "last");
  EXPECT_EQ(r.headers["connection"], "close");
  EXPECT_TRUE(c.ClosedByServer());
}

// A 304 answers a conditional GET without content: RFC 9110 8.6 lets it carry Content-Length
// only with the 200's length, so it carries none (it used to say "Content-Length: 0", which a
// cache could take as the new length of the stored answer). Keep-alive still frames the next one.
TEST_F(HttpServerTest, NotModifiedCarriesNoContentLength) {
  router_.Add("GET", "/cached", [](HttpRequest&, PathParams&, Responder done) {
    HttpResponse r;
    r.status = 304;
    r.headers.emplace_back("ETag", "\"7\"");
    done(std::move(r));
  });
  StartServer({});
  Client c(port());
  ASSERT_TRUE(c.connected());
  c.Send("GET /cached HTTP/1.1\r\nHost: t\r\nIf-None-Match: \"7\"\r\n\r\n");
  auto r = c.Read();
  ASSERT_EQ(r.status, 304);
  EXPECT_EQ(r.headers.count("content-length"), 0u) << r.headers["content-length"];
  EXPECT_EQ(r.headers.count("transfer-encoding"), 0u);
  EXPECT_EQ(r.headers["etag"], "\"7\"");
  c.Send(Post("next"));  // the same connection: the 304 ended at its head
  auto next = c.Read();
  EXPECT_EQ(next.status, 200);
  EXPECT_EQ(next.body, "next");
}

// A 304 (or 204) whose handler also handed a body pipe (a stream answer cut short by a matching
// ETag) still ends at its head: the pipe is cancelled, so the producer stops and the connection
// goes on to the next request. It used to wait on the pipe with chunked framing it never
// announced. A 304 carries no Content-Type (it has no content).
TEST_F(HttpServerTest, ANotModifiedWithABodyPipeEndsAtItsHeadAndCancelsThePipe) {
  auto pipe = std::make_shared<BodyPipe>();
  router_.Add("GET", "/cached", [pipe](HttpRequest&, PathParams&, Responder done) {
    HttpResponse r;
    r.status = 304;
    r.content_type = "text/event-stream";
    r.body_pipe = pipe;
    done(std::move(r));
  });
  StartServer({});
  Client c(port());
  ASSERT_TRUE(c.connected());
  c.Send("GET /cached HTTP/1.1\r\nHost: t\r\n\r\n");
  auto r = c.Read();
  ASSERT_EQ(r.status, 304);
  EXPECT_EQ(r.headers.count("transfer-encoding"), 0u);
  EXPECT_EQ(r.headers.count("content-type"), 0u) << r.headers["content-type"];
  c.Send(Post("next"));
  auto next = c.Read();
  EXPECT_EQ(next.status, 200) << "the connection waited on the pipe";
  EXPECT_EQ(next.body, "next");
  EXPECT_FALSE(pipe->Write("more")) << "the pipe was not cancelled";
}

// Every answer carries Date (RFC 9110 6.6.1), the server's clock to the second: the voting page
// corrects its countdown for a device whose clock is off with it.
TEST_F(HttpServerTest, AnswersCarryTheServersDate) {
  StartServer({});
  Client c(port());
  const auto before = std::chrono::system_clock::now();
  c.Send(Post("x"));
  auto r = c.Read();
  const auto after = std::chrono::system_clock::now();
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(r.headers.count("date"), 1u);
  net_test::ExpectDateBetween(r.headers["date"], before, after);
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  StartServer({});
  Client c(port());
  std::string all;
  for (int i = 0; i < 20; ++i) all += Post("request-" + std::to_string(i));
  c.Send(all);  // one write: the server reads them all at once
  for (int i = 0; i < 20; ++i) {
    auto r = c.Read();
    ASSERT_EQ(r.status, 200) << i;
    EXPECT_EQ(r.body, "request-" + std::to_string(i));
  }
  // A request asking to close ends the pipeline: what follows it is not answered.
  c.Send(Post("closing", "Connection: close\r\n") + Post("never"));
  EXPECT_EQ(c.Read().body, "closing");
  EXPECT_EQ(c.Read().status, 0);
  EXPECT_TRUE(c.ClosedByServer());
}

TEST_F(HttpServerTest, RequestLimitsAnswerWithClearErrorsAndClose) {
  HttpServerOptions o;
  o.max_body_bytes = 64;
  o.max_header_bytes = 512;
  StartServer(o);
  {
    Client c(port());
    c.Send(Post(std::string(64, 'x')));  // at the limit: fine
    auto r = c.Read();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body.size(), 64u);
    c.Send(Post(std::string(65, 'x')));
    r = c.Read();
    EXPECT_EQ(r.status, 413);
    EXPECT_NE(r.body.find("payload_too_large"), std::string::npos) << r.body;
    EXPECT_EQ(r.headers["connection"], "close");
    EXPECT_TRUE(c.ClosedByServer());
  }
  {
    Client c(port());
    c.Send("POST /echo HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(600, 'h') +
           "\r\nContent-Length: 0\r\n\r\n");
    auto r = c.Read();
    EXPECT_EQ(r.status, 431);
    EXPECT_EQ(r.headers["connection"], "close");
    EXPECT_TRUE(c.ClosedByServer());
  }
  {
    Client c(port());
    c.Send("NOT HTTP AT ALL\r\n\r\n");
    auto r = c.Read();
    EXPECT_EQ(r.status, 400);
    EXPECT_NE(r.body.find("invalid_request"), std::string::npos) << r.body;
    EXPECT_TRUE(c.ClosedByServer());
  }
  {
    Client c(port());  // unknown path: the router's 404; the connection stays usable
    c.Send("GET /nothing HTTP/1.1\r\nHost: t\r\n\r\n");
    EXPECT_EQ(c.Read().status, 404);
    c.Send(Post("still here"));
    EXPECT_EQ(c.Read().body, "still here");
  }
}

TEST_F(HttpServerTest, OverTheConnectionCapANewConnectionGets503) {
  HttpServerOptions o;
  o.max_connections = 2;
  StartServer(o);
  Client a(port());
  auto b = std::make_unique<Client>(port());
  a.Send(Post("a"));
  b->Send(Post("b"));
  ASSERT_EQ(a.Read().status, 200);
  ASSERT_EQ(b->Read().status, 200);
  const auto before = std::chrono::system_clock::now();
  Client c(port());
  auto r = c.Read();  // answered at once, without sending anything
  EXPECT_EQ(r.status, 503);
  ASSERT_EQ(r.headers.count("date"), 1u) << "the refusal carries Date like every answer";
  net_test::ExpectDateBetween(r.headers["date"], before, std::chrono::system_clock::now());
  EXPECT_TRUE(c.ClosedByServer());
  EXPECT_EQ(server_->stats().refused, 1u);
  // The connections holding the slots still work, and a slot freed is a slot taken again.
  a.Send(Post("again"));
  EXPECT_EQ(a.Read().body, "again");
  b->Send(Post("bye", "Connection: close\r\n"));
  EXPECT_EQ(b->Read().status, 200);
  EXPECT_TRUE(b->ClosedByServer());
  b.reset();  // the client closes too: the server's lingering close ends
  ASSERT_TRUE(WaitUntil([&] { return server_->stats().open == 1; }));
  Client d(port());
  d.Send(Post("d"));
  EXPECT_EQ(d.Read().body, "d");
}

// At max_first_requests connections in their first request the server stops accepting: the
// next connection waits in the kernel's listen queue (its request unanswered, not refused) and
// is served once one of the first requests is answered, or its connection closed.
TEST_F(HttpServerTest, BeyondTheFirstRequestCapNewConnectionsWaitThenAreServed) {
  HttpServerOptions o;
  o.max_first_requests = 2;
  o.busy_idle_timeout = std::chrono::seconds(60);  // no sweep of the silent ones here
  StartServer(o);
  Client a(port());
  auto b = std::make_unique<Client>(port());
  ASSERT_TRUE(WaitUntil([&] { return server_->stats().open == 2; }));
  Client c(port());  // connected by the kernel, not accepted
  c.Send(Post("c"));
  ASSERT_TRUE(WaitUntil([&] { return server_->stats().accept_pauses >= 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(server_->stats().open, 2u) << "the third connection waits in the listen queue";
  a.Send(Post("a"));
  EXPECT_EQ(a.Read().body, "a");
  auto r = c.Read();  // accepted once a's first request was answered
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "c");
  // b and e now hold the two places; d waits until b's client gives up.
  const uint64_t pauses = server_->stats().accept_pauses;
  Client e(port());
  ASSERT_TRUE(WaitUntil([&] { return server_->stats().open == 4; }));  // a, b, c, e
  Client d(port());
  d.Send(Post("d"));
  ASSERT_TRUE(WaitUntil([&] { return server_->stats().accept_pauses > pauses; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(server_->stats().open, 4u) << "d waits in the listen queue";
  b.reset();  // a first request ended by its client frees a place too
  EXPECT_EQ(d.Read().body, "d");
  EXPECT_EQ(server_->stats().refused, 0u) << "waiting, never refused";
  a.Send(Post("again"));  // answered connections are not counted: keep-alive goes on
  EXPECT_EQ(a.Read().body, "again");
}

// A slow-loris flood at max_first_requests: connections that sent part of a request and trickle
// a byte now and then (and a silent one) hold every place, so the accept loop pauses. While
// paused, those in their first request past first_request_timeout are closed, and a new
// client's vote waiting in the listen queue is served (the deadline, kDeadline, is far above
// the bound; without the close it waits for idle_timeout, 60 s).
TEST_F(HttpServerTest, SlowLorisAtTheFirstRequestCapAreClosedAndANewRequestIsServed) {
  HttpServerOptions o;
  o.max_first_requests = 4;
  o.first_request_timeout = std::chrono::seconds(1);
  o.idle_timeout = std::chrono::seconds(60);
  o.busy_idle_timeout = std::chrono::seconds(60);  // the busy sweep plays no part here
  StartServer(o);
  std::vector<std::unique_ptr<Client>> loris;
  for (int i = 0; i < 4; ++i) {
    loris.push_back(std::make_unique<Client>(port()));
    if (i > 0) loris.back()->Send("POST /echo HTTP/1.1\r\nHost: t\r\nX-Slow: ");  // partial
  }
  ASSERT_TRUE(WaitUntil([&] { return server_->stats().open == 4; }));
  std::atomic<bool> stop{false};
  std::thread trickle([&] {  // a byte per connection every 100 ms, for kDeadline at most
    auto until = std::chrono::steady_clock::now() + kDeadline;
    while (!stop && std::chrono::steady_clock::now() < until) {
      for (size_t i = 1; i < loris.size(); ++i) loris[i]->Send("x");
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  Client voter(port());
  voter.Send(Post("vote"));
  auto r = voter.Read();
  stop = true;
  trickle.join();
  EXPECT_EQ(r.status, 200) << "the new request is served while the flood goes on";
  EXPECT_EQ(r.body, "vote");
  // At least one was closed for it (how many depends on which network thread's sweep ran first:
  // once a close resumes accepting, the others are no longer swept for it).
  EXPECT_GE(server_->stats().first_request_closed, 1u);
  EXPECT_GE(server_->stats().accept_pauses, 1u);
}

// Above busy_fraction of the cap, connections waiting for a request are closed after
// busy_idle_timeout; one that has sent part of a request is not (it is answered once the rest
// arrives). Live streams keep the server busy and are never swept.
TEST_F(HttpServerTest, BusySweepClosesIdleConnectionsButSparesAStartedRequest) {
  HttpServerOptions o;
  o.max_connections = 5;
  o.busy_fraction = 0.5;  // busy with 3 or more open
  o.busy_idle_timeout = std::chrono::seconds(1);
  o.idle_timeout = std::chrono::seconds(60);
  StartServer(o);
  // Both start waiting while the server is not busy (their own timeout is the long one), the
  // started request first, so it is the older of the two when the sweep looks.
  Client started(port());
  started.Send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nhello");
  ASSERT_TRUE(WaitUntil([&] { return server_->stats().open == 1; }));
  Client idle(port());
  ASSERT_TRUE(WaitUntil([&] { return server_->stats().open == 2; }));
  Client s1(port()), s2(port());  // two viewers make the server busy
  for (auto* s : {&s1, &s2}) s->Send("GET /stream HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(WaitUntil([&] { return server_->stats().push_open == 2; }));

  ASSERT_TRUE(WaitUntil([&] { return server_->stats().idle_closed >= 1; }));
  EXPECT_TRUE(idle.ClosedByServer()) << "the idle connection is closed in order";
  EXPECT_EQ(server_->stats().idle_closed, 1u) << "only the idle connection was swept";
  started.Send("world");
  auto r = started.Read();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "helloworld");
}

// --reuse-port: two servers listen on one port and the kernel gives each some of the new
// connections; without it the second cannot bind the port.
TEST(HttpServerReusePort, TwoServersShareOnePortAndBothTakeConnections) {
  Router router;
  router.Add("POST", "/echo", [](HttpRequest& req, PathParams&, Responder done) {
    done(Response(200, "text/plain", req.body));
  });
  HttpServerOptions o;
  o.host = "127.0.0.1";
  o.port = 0;
  o.threads = 1;
  o.reuse_port = true;
  HttpServer first(o, router);
  ASSERT_TRUE(first.Start().ok());
  o.port = first.port();
  HttpServer second(o, router);
  ASSERT_TRUE(second.Start().ok()) << "a second listener on the same port";
  HttpServerOptions plain = o;
  plain.reuse_port = false;
  HttpServer third(plain, router);
  EXPECT_FALSE(third.Start().ok()) << "without SO_REUSEPORT the port is taken";

  // Connections from distinct source ports hash over both listeners: keep some open until
  // each server holds at least one (bounded: 200 connections).
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 200 && (first.stats().open == 0 || second.stats().open == 0); ++i) {
    clients.push_back(std::make_unique<Client>(o.port));
    ASSERT_TRUE(clients.back()->connected());
    clients.back()->Send(Post("hi"));
    ASSERT_EQ(clients.back()->Read().status, 200);
  }
  EXPECT_GE(first.stats().open, 1u);
  EXPECT_GE(second.stats().open, 1u);
  EXPECT_EQ(first.stats().open + second.stats().open, clients.size());
  first.Stop(std::chrono::milliseconds(0));
  second.Stop(std::chrono::milliseconds(0));
}

}  // namespace
}  // namespace urna::net
