// WsStream against the real server (127.0.0.1:0) and a raw socket client: the handshake, a pushed
// message as a text frame, pings answered, the close handshake, protocol errors, and the
// keep-alive (a ping after `stream_keepalive` of silence, closed after two; a viewer that
// answers stays).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "net/http_server.h"
#include "net/router.h"

namespace urna::net {
namespace {

constexpr int kDeadlineSeconds = 30;  // generous: a loaded CI machine

class WsClient {
 public:
  explicit WsClient(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{kDeadlineSeconds, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  }
  ~WsClient() { ::close(fd_); }
  void Send(const std::string& d) { ::send(fd_, d.data(), d.size(), MSG_NOSIGNAL); }
  // The upgrade; returns the answer's head.
  std::string Upgrade() {
    Send(
        "GET /ws HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    while (buf_.find("\r\n\r\n") == std::string::npos) {
      if (!Fill()) return "";
    }
    size_t end = buf_.find("\r\n\r\n") + 4;
    std::string head = buf_.substr(0, end);
    buf_.erase(0, end);
    return head;
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
    }
    if (!Need(at + len)) return f;
    f.opcode = static_cast<uint8_t>(buf_[0]) & 0x0F;
    f.payload = buf_.substr(at, len);
    buf_.erase(0, at + len);
    return f;
  }
  // A masked client frame.
  static std::string Masked(uint8_t first, const std::string& payload, bool mask = true) {
    std::string f(1, static_cast<char>(first));
    f += static_cast<char>((mask ? 0x80 : 0) | payload.size());
    const char key[4] = {1, 2, 3, 4};
    if (mask) f.append(key, 4);
    for (size_t i = 0; i < payload.size(); ++i) f += mask ? payload[i] ^ key[i % 4] : payload[i];
    return f;
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
    if (n <= 0) return false;
    buf_.append(chunk, static_cast<size_t>(n));
    return true;
  }
  int fd_;
  std::string buf_;
};

class WsStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpServerOptions o;
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
    server_ = std::make_unique<HttpServer>(o, router_);
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override { server_->Stop(std::chrono::milliseconds(0)); }

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
