// WsStream against the real server (127.0.0.1:0) and a raw socket client: the handshake, a pushed
// message as a text frame, pings answered, the close handshake, protocol errors, and the
// keep-alive (a ping after `stream_keepalive` of silence, closed after two; a viewer that
// answers stays).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "net/http_date_test_util.h"
#include "net/http_server.h"
#include "net/router.h"
#include "net/ws_test_frames.h"

namespace urna::net {
namespace {

constexpr int kDeadlineSeconds = 30;  // generous: a loaded CI machine

class WsClient {
 public:
  // rcvbuf > 0: a small receive buffer (a viewer that falls behind fills it soon).
  explicit WsClient(uint16_t port, int rcvbuf = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (rcvbuf > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    timeval tv{kDeadlineSeconds, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  }
  ~WsClient() { ::close(fd_); }
  ssize_t Send(const std::string& d) { return ::send(fd_, d.data(), d.size(), MSG_NOSIGNAL); }
  // The upgrade; returns the answer's head.
  std::string Upgrade(std::string_view connection = "Upgrade") {
    return Head("GET /ws HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: " +
                std::string(connection) +
                "\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: "
                "13\r\n\r\n");
  }
  // Sends `request`; returns the answer's head.
  std::string Head(const std::string& request) {
    Send(request);
    while (buf_.find("\r\n\r\n") == std::string::npos) {
      if (!Fill()) return "";
    }
    size_t end = buf_.find("\r\n\r\n") + 4;
    std::string head = buf_.substr(0, end);
    buf_.erase(0, end);
    return head;
  }
  // Reads and returns `n` bytes of a body.
  std::string Body(size_t n) {
    if (!Need(n)) return "";
    std::string body = buf_.substr(0, n);
    buf_.erase(0, n);
    return body;
  }
  struct Frame {
    int opcode = -1;  // -1: the connection ended (or timed out)
    std::string payload;
  };
  Frame Next() {
    Frame f;
    if (!Need(2)) return f;
    size_t len = static_cast<uint8_t>(buf_[1]) & 0x7F, at = 2;
    if (len == 126) {
      if (!Need(4)) return f;
      len = (static_cast<uint8_t>(buf_[2]) << 8) | static_cast<uint8_t>(buf_[3]);
      at = 4;
    } else if (len == 127) {
      if (!Need(10)) return f;
      len = 0;
      for (int i = 2; i < 10; ++i) len = (len << 8) | static_cast<uint8_t>(buf_[i]);
      at = 10;
    }
    if (!Need(at + len)) return f;
    f.opcode = static_cast<uint8_t>(buf_[0]) & 0x0F;
    f.payload = buf_.substr(at, len);
    buf_.erase(0, at + len);
    return f;
  }
  // Waits until the server has finished sending (its FIN, or a reset), without reading: what
  // it sent must then still be readable, whole.
  bool WaitServerDone() {
    pollfd p{fd_, POLLRDHUP, 0};
    return ::poll(&p, 1, kDeadlineSeconds * 1000) == 1;
  }
  // Everything left until the connection ends; `reset` says whether it ended with a reset.
  std::string Rest() {
    while (Fill()) {
    }
    return std::exchange(buf_, "");
  }
  bool reset() const { return reset_; }
  // Waits (up to `ms`) for an error on the connection, then returns it (0: none, e.g. no reset).
  int PendingError(int ms) {
    pollfd p{fd_, 0, 0};  // POLLERR is always reported
    ::poll(&p, 1, ms);
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
    return err;
  }
  // A masked client frame (any length).
  static std::string Masked(uint8_t first, const std::string& payload, bool mask = true) {
    return ::urna::net::testing::ClientFrame(first, payload, mask);
  }

 private:
  bool Need(size_t n) {
    while (buf_.size() < n) {
      if (!Fill()) return false;
    }
    return true;
  }
  bool Fill() {
    char chunk[4096];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n < 0 && errno == ECONNRESET) reset_ = true;
    if (n <= 0) return false;
    buf_.append(chunk, static_cast<size_t>(n));
    return true;
  }
  int fd_;
  std::string buf_;
  bool reset_ = false;
};

class WsStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpServerOptions o;
    o.stream_write_timeout = write_timeout_;
    o.host = "127.0.0.1";
    o.port = 0;
    o.threads = 1;
    o.stream_keepalive = std::chrono::seconds(1);
    router_.Add("GET", "/ws", [this](HttpRequest&, PathParams&, Responder done) {
      HttpResponse r;
      r.upgrade = StreamUpgrade{StreamUpgrade::kWebSocket, [this](std::shared_ptr<PushStream> s) {
                                  s->Push(std::make_shared<const std::string>("hello viewer"));
                                  std::lock_guard lock(mu_);
                                  streams_.push_back(std::move(s));
                                }};
      done(std::move(r));
    });
    router_.Add("GET", "/sse", [](HttpRequest&, PathParams&, Responder done) {
      HttpResponse r;
      r.upgrade = StreamUpgrade{StreamUpgrade::kSse, [](std::shared_ptr<PushStream>) {}};
      done(std::move(r));
    });
    server_ = std::make_unique<HttpServer>(o, router_);
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override { server_->Stop(std::chrono::milliseconds(0)); }
  std::shared_ptr<PushStream> Stream(size_t i) {
    std::lock_guard lock(mu_);
    return i < streams_.size() ? streams_[i] : nullptr;
  }

  std::chrono::seconds write_timeout_{10};
  Router router_;
  std::unique_ptr<HttpServer> server_;
  std::mutex mu_;
  std::vector<std::shared_ptr<PushStream>> streams_;
};

TEST_F(WsStreamTest, HandshakeThenPushedMessagesAsTextFrames) {
  WsClient c(server_->port());
  std::string head = c.Upgrade();
  EXPECT_EQ(head.rfind("HTTP/1.1 101 ", 0), 0u) << head;
  EXPECT_NE(head.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"), std::string::npos);
  auto f = c.Next();
  EXPECT_EQ(f.opcode, 1);
  EXPECT_EQ(f.payload, "hello viewer");
  std::string big(300, 'x');  // a 2-byte extended length
  {
    std::lock_guard lock(mu_);
    ASSERT_EQ(streams_.size(), 1u);
    streams_[0]->Push(std::make_shared<const std::string>(big));
  }
  f = c.Next();
  EXPECT_EQ(f.opcode, 1);
  EXPECT_EQ(f.payload, big);
}

// The stream answers carry Date like every other answer (RFC 9110 6.6.1): the voting page
// corrects its countdown for the device's clock with the Date of whatever it got last. So does a
// refused handshake (426 here, rendered by the WebSocket code, not the HTTP session).
TEST_F(WsStreamTest, UpgradeAnswersCarryTheServersDate) {
  const std::string ws_key = "\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
  const std::pair<std::string, std::string> cases[] = {
      {"GET /ws HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade" + ws_key +
           "Sec-WebSocket-Version: 13\r\n\r\n",
       "HTTP/1.1 101 "},
      {"GET /sse HTTP/1.1\r\nHost: t\r\nAccept: text/event-stream\r\n\r\n", "HTTP/1.1 200 "},
      {"GET /ws HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade" + ws_key +
           "Sec-WebSocket-Version: 12\r\n\r\n",
       "HTTP/1.1 426 "},
  };
  for (const auto& [request, status] : cases) {
    WsClient c(server_->port());
    const auto before = std::chrono::system_clock::now();
    std::string head = c.Head(request);
    const auto after = std::chrono::system_clock::now();
    ASSERT_EQ(head.rfind(status, 0), 0u) << head;
    auto at = head.find("\r\nDate: ");
    ASSERT_NE(at, std::string::npos) << status << ": " << head;
    EXPECT_EQ(head.find("\r\nDate: ", at + 1), std::string::npos) << "one Date: " << head;
    std::string value = head.substr(at + 8, head.find("\r\n", at + 2) - at - 8);
    net_test::ExpectDateBetween(value, before, after);
  }
}

// A keep-alive connection whose first request asked for an upgrade of a resource that has none
// (answered 404 and kept) then asks for the stream without an upgrade: that plain request gets
// the 400 for a missing upgrade, never a 101 made from the earlier request's handshake.
TEST_F(WsStreamTest, AnEarlierUpgradeRequestIsNotReusedForALaterPlainOne) {
  WsClient c(server_->port());
  std::string head = c.Head(
      "GET /nothing HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
  ASSERT_EQ(head.rfind("HTTP/1.1 404 ", 0), 0u) << head;
  ASSERT_EQ(head.find("Connection: close"), std::string::npos) << "kept alive: " << head;
  auto at = head.find("Content-Length: ");
  ASSERT_NE(at, std::string::npos) << head;
  c.Body(std::stoul(head.substr(at + 16)));
  head = c.Head("GET /ws HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(head.rfind("HTTP/1.1 400 ", 0), 0u) << head;
  EXPECT_EQ(head.find("Sec-WebSocket-Accept"), std::string::npos) << head;
}

TEST_F(WsStreamTest, PingIsAnsweredAndCloseIsEchoedThenTheConnectionEnds) {
  WsClient c(server_->port());
  c.Upgrade();
  ASSERT_EQ(c.Next().opcode, 1);
  c.Send(WsClient::Masked(0x89, "marco"));
  auto f = c.Next();
  EXPECT_EQ(f.opcode, 10);
  EXPECT_EQ(f.payload, "marco");
  c.Send(WsClient::Masked(0x88, std::string("\x03\xe8", 2)));
  f = c.Next();
  EXPECT_EQ(f.opcode, 8);
  EXPECT_EQ(f.payload, std::string("\x03\xe8", 2)) << "the viewer's status code, echoed";
  EXPECT_EQ(c.Next().opcode, -1) << "then the server ends the connection";
}

TEST_F(WsStreamTest, AnUnmaskedFrameIsAProtocolError) {
  WsClient c(server_->port());
  c.Upgrade();
  ASSERT_EQ(c.Next().opcode, 1);
  c.Send(WsClient::Masked(0x81, "hi", /*mask=*/false));
  auto f = c.Next();
  EXPECT_EQ(f.opcode, 8);
  EXPECT_EQ(f.payload, std::string("\x03\xea", 2)) << "1002";
  EXPECT_EQ(c.Next().opcode, -1);
}

// Keep-alive 1 s: a silent viewer gets a ping, then is closed after two keep-alives.
TEST_F(WsStreamTest, KeepAlivePingsThenClosesASilentViewer) {
  WsClient silent(server_->port());
  silent.Upgrade();
  ASSERT_EQ(silent.Next().opcode, 1);
  EXPECT_EQ(silent.Next().opcode, 9) << "a ping after a keep-alive of silence";
  EXPECT_EQ(silent.Next().opcode, -1) << "closed after two";
}

// A viewer that answers each ping gets a third one, which it could not if its pongs went
// unheard (it would be closed after two keep-alives of silence).
TEST_F(WsStreamTest, KeepAliveSparesAViewerThatAnswers) {
  WsClient answering(server_->port());
  answering.Upgrade();
  ASSERT_EQ(answering.Next().opcode, 1);
  for (int pings = 0; pings < 3; ++pings) {
    auto f = answering.Next();
    ASSERT_EQ(f.opcode, 9) << "ping " << pings;
    answering.Send(WsClient::Masked(0x8A, f.payload));
  }
}

}  // namespace
}  // namespace urna::net

namespace urna::net {
namespace {

// The server's closing frame must reach a viewer that is still sending: the server reads and
// drops the rest until the viewer closes, so its close never turns into a reset (which would
// destroy the frame in the viewer's socket before it is read).
TEST_F(WsStreamTest, AViewerStillSendingGetsTheCloseFrameBeforeTheEnd) {
  struct Case {
    std::string what, frame, code;
  };
  const std::vector<Case> cases = {
      {"a 70 KB text message: 1009", WsClient::Masked(0x81, std::string(70000, 'a')),
       std::string("\x03\xf1", 2)},
      {"an unmasked frame: 1002", WsClient::Masked(0x81, std::string(60000, 'a'), false),
       std::string("\x03\xea", 2)},
  };
  for (const auto& c : cases) {
    WsClient viewer(server_->port());
    viewer.Upgrade();
    ASSERT_EQ(viewer.Next().opcode, 1) << c.what;
    viewer.Send(c.frame);
    ASSERT_TRUE(viewer.WaitServerDone()) << c.what;
    auto f = viewer.Next();
    EXPECT_EQ(f.opcode, 8) << c.what;
    EXPECT_EQ(f.payload, c.code) << c.what;
    // The viewer answers the close (as browsers do) while the server still drains: no reset,
    // which a browser would report as an unclean close (1006).
    EXPECT_EQ(viewer.Send(WsClient::Masked(0x88, c.code)), 8) << c.what;
    EXPECT_EQ(viewer.Rest(), "") << c.what;
    EXPECT_FALSE(viewer.reset()) << c.what << ": ended with a FIN, not a reset";
    EXPECT_EQ(viewer.PendingError(500), 0) << c.what << ": the viewer's answer was not refused";
  }
}

// A viewer whose window is full when the server closes: the close frame still waits in the
// server's socket behind the data, and must not be discarded by the end of the connection.
TEST_F(WsStreamTest, TheCloseFrameWaitingBehindDataReachesASlowViewer) {
  WsClient c(server_->port(), /*rcvbuf=*/4096);
  c.Upgrade();
  ASSERT_EQ(c.Next().opcode, 1);
  auto s = Stream(0);
  ASSERT_NE(s, nullptr);
  std::string data(20000, 'd');  // fits in the server's send buffer, not in the viewer's window
  s->Push(std::make_shared<const std::string>(data));
  c.Send(WsClient::Masked(0x81, std::string(70000, 'a')));  // 1009
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kDeadlineSeconds);
  while (!s->closed() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(s->closed());  // the close frame is written (into the server's socket)
  auto f = c.Next();
  EXPECT_EQ(f.opcode, 1);
  EXPECT_TRUE(f.payload == data) << "the data frame, whole (" << f.payload.size() << " bytes)";
  f = c.Next();
  EXPECT_EQ(f.opcode, 8);
  EXPECT_EQ(f.payload, std::string("\x03\xf1", 2));
  EXPECT_FALSE(c.reset());
}

// The same for a refused handshake (426 without Sec-WebSocket-Version, 400 for a bad key): the
// whole answer arrives although the client had sent more.
TEST_F(WsStreamTest, ARefusedHandshakeArrivesWholeAlthoughTheClientSentMore) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", "HTTP/1.1 426 "},
      {"Sec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n", "HTTP/1.1 400 "},
  };
  for (const auto& [headers, status] : cases) {
    WsClient c(server_->port());
    c.Send("GET /ws HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
           headers + "\r\n");
    c.Send(WsClient::Masked(0x81, std::string(70000, 'a')));  // a client that did not wait
    ASSERT_TRUE(c.WaitServerDone()) << status;
    std::string answer = c.Rest();
    EXPECT_EQ(answer.rfind(status, 0), 0u) << answer;
    EXPECT_NE(answer.find(R"({"error":{"code":"invalid_request")"), std::string::npos) << answer;
    EXPECT_FALSE(c.reset()) << status;
    // A client still sending after it read the answer is not reset.
    EXPECT_EQ(c.Send("more"), 4) << status << ": " << std::strerror(errno);
    EXPECT_EQ(c.PendingError(500), 0) << status;
    if (status == "HTTP/1.1 426 ") {
      EXPECT_NE(answer.find("\r\nSec-WebSocket-Version: 13\r\n"), std::string::npos) << answer;
    }
  }
}

// Firefox sends "Connection: keep-alive, Upgrade".
TEST_F(WsStreamTest, TheHandshakeAcceptsAConnectionHeaderWithSeveralTokens) {
  WsClient c(server_->port());
  std::string head = c.Upgrade("keep-alive, Upgrade");
  EXPECT_EQ(head.rfind("HTTP/1.1 101 ", 0), 0u) << head;
  auto f = c.Next();
  EXPECT_EQ(f.opcode, 1);
  EXPECT_EQ(f.payload, "hello viewer");
}

class WsStreamShortWriteTimeoutTest : public WsStreamTest {
 protected:
  WsStreamShortWriteTimeoutTest() { write_timeout_ = std::chrono::seconds(1); }
};

// A viewer that stops reading while it keeps sending pings (so it is never silent) is dropped
// by the write timeout (1 s here).
TEST_F(WsStreamShortWriteTimeoutTest, AViewerThatStopsReadingIsDroppedByTheWriteTimeout) {
  WsClient c(server_->port(), /*rcvbuf=*/4096);
  c.Upgrade();
  ASSERT_EQ(c.Next().opcode, 1);
  auto s = Stream(0);
  ASSERT_NE(s, nullptr);
  s->Push(std::make_shared<const std::string>(std::string(4 << 20, 'm')));  // more than fits
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kDeadlineSeconds);
  while (!s->closed() && std::chrono::steady_clock::now() < deadline) {
    c.Send(WsClient::Masked(0x89, "still here"));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(s->closed());
}

// A viewer that falls behind while sending pings, then reads again before the write timeout:
// every frame parses (a pong waits for the data frame in flight, never lands inside it; a newer
// pong may replace one still waiting, so the last one always comes).
TEST_F(WsStreamTest, AViewerThatFallsBehindThenReadsSeesWholeFrames) {
  WsClient c(server_->port(), /*rcvbuf=*/4096);
  c.Upgrade();
  ASSERT_EQ(c.Next().opcode, 1);
  auto s = Stream(0);
  ASSERT_NE(s, nullptr);
  std::string big(1 << 20, 'b');
  s->Push(std::make_shared<const std::string>(big));  // more than the socket takes at once
  for (int i = 0; i < 5; ++i) c.Send(WsClient::Masked(0x89, "p" + std::to_string(i)));
  bool got_big = false, got_last_pong = false;
  for (int frames = 0; frames < 20 && !(got_big && got_last_pong); ++frames) {
    auto f = c.Next();
    ASSERT_TRUE(f.opcode == 1 || f.opcode == 9 || f.opcode == 10) << "frame " << f.opcode;
    if (f.opcode == 1) {
      EXPECT_EQ(f.payload.size(), big.size());
      EXPECT_TRUE(f.payload == big) << "the data frame, whole and unmixed";
      got_big = true;
    } else if (f.opcode == 10) {
      EXPECT_TRUE(f.payload.size() == 2 && f.payload[0] == 'p') << f.payload;
      got_last_pong = f.payload == "p4";
    }
  }
  EXPECT_TRUE(got_big);
  EXPECT_TRUE(got_last_pong);
  EXPECT_FALSE(s->closed());
}

// Issue 12 item 12: a server that stops says so to its WebSocket viewers with a close frame
// (1001 "going away") before the connection ends, so a browser reconnects knowingly instead of
// seeing the connection drop.
TEST_F(WsStreamTest, AServerStopSendsACloseFrameGoingAway) {
  WsClient c(server_->port());
  c.Upgrade();
  ASSERT_EQ(c.Next().opcode, 1);
  server_->Stop(std::chrono::milliseconds(0));
  auto f = c.Next();
  EXPECT_EQ(f.opcode, 8) << "a close frame, not the bare end of the connection";
  EXPECT_EQ(f.payload.substr(0, 2), std::string("\x03\xe9", 2)) << "1001 going away";
  EXPECT_EQ(c.Next().opcode, -1) << "then the connection ends";
}

}  // namespace
}  // namespace urna::net
