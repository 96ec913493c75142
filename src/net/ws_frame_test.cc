#include "net/ws_frame.h"
#include "net/ws_test_frames.h"

#include <gtest/gtest.h>

#include <boost/beast/http/field.hpp>

#include <string>
#include <vector>

namespace urna::net {
namespace {

using Event = WsFrameReader::Event;

using testing::ClientFrame;

// Feeds `bytes` in pieces of `step`, collecting (event, payload) pairs until an ending event.
std::vector<std::pair<Event, std::string>> FeedAll(WsFrameReader& r, const std::string& bytes,
                                                   size_t step) {
  std::vector<std::pair<Event, std::string>> out;
  auto data = reinterpret_cast<const uint8_t*>(bytes.data());
  for (size_t at = 0; at < bytes.size();) {
    size_t n = std::min(step, bytes.size() - at), used = 0;
    Event e = r.Feed(data + at, n, used);
    EXPECT_LE(used, n);
    at += used;
    if (e != Event::kNone) out.emplace_back(e, r.payload());
    if (e == Event::kClose || e == Event::kProtocolError || e == Event::kTooBig) break;
    if (e == Event::kNone) {
      EXPECT_EQ(used, n) << "kNone consumes everything it was given";
    }
  }
  return out;
}

TEST(WsFrame, ServerHeadersUseTheShortestLengthAndNoMask) {
  std::array<uint8_t, 10> h;
  ASSERT_EQ(WsFrameHeader(WsOpcode::kText, 125, h), 2u);
  EXPECT_EQ(h[0], 0x81);
  EXPECT_EQ(h[1], 125);
  ASSERT_EQ(WsFrameHeader(WsOpcode::kText, 126, h), 4u);
  EXPECT_EQ(h[1], 126);
  EXPECT_EQ(h[2], 0);
  EXPECT_EQ(h[3], 126);
  ASSERT_EQ(WsFrameHeader(WsOpcode::kText, 65536, h), 10u);
  EXPECT_EQ(h[1], 127);
  EXPECT_EQ(h[7], 1);  // 0x0000000000010000, big-endian
  EXPECT_EQ(h[9], 0);
  EXPECT_EQ(WsCloseFrame(1002), std::string("\x88\x02\x03\xea", 4));
  EXPECT_EQ(WsControlFrame(WsOpcode::kPing, ""), std::string("\x89\x00", 2));
}

// Whatever the pieces the bytes arrive in, the same events come out: data is dropped, pings
// come with their payload, pongs are seen, a close ends it.
TEST(WsFrame, ReaderFindsControlFramesInAnyPieces) {
  std::string bytes = ClientFrame(0x81, "hello") + ClientFrame(0x89, "are you there") +
                      ClientFrame(0x01, std::string(300, 'x')) + ClientFrame(0x8A, "") +
                      ClientFrame(0x80, "end") + ClientFrame(0x88, "\x03\xe8");
  for (size_t step : {1, 2, 3, 7, 64, 4096}) {
    WsFrameReader r(4096);
    auto events = FeedAll(r, bytes, step);
    ASSERT_EQ(events.size(), 3u) << "step " << step;
    EXPECT_EQ(events[0], std::make_pair(Event::kPing, std::string("are you there")));
    EXPECT_EQ(events[1].first, Event::kPong);
    EXPECT_EQ(events[2], std::make_pair(Event::kClose, std::string("\x03\xe8")));
  }
}

TEST(WsFrame, ReaderRefusesWhatTheProtocolForbids) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"unmasked", ClientFrame(0x81, "hi", /*mask=*/false)},
      {"reserved bit", ClientFrame(0xC1, "hi")},
      {"reserved opcode", ClientFrame(0x83, "hi")},
      {"fragmented ping", ClientFrame(0x09, "hi")},
      {"ping over 125 bytes", ClientFrame(0x89, std::string(126, 'p'))},
      {"continuation first", ClientFrame(0x80, "hi")},
      {"new message inside a fragmented one", ClientFrame(0x01, "a") + ClientFrame(0x81, "b")},
      {"close with a 1-byte body", ClientFrame(0x88, "x")},
  };
  for (const auto& [what, bytes] : bad) {
    WsFrameReader r(4096);
    auto events = FeedAll(r, bytes, 5);
    ASSERT_FALSE(events.empty()) << what;
    EXPECT_EQ(events.back().first, Event::kProtocolError) << what;
  }
}

// A close code the viewer may send is echoed; one that must never be on the wire (or is not
// assigned) is a protocol error (RFC 6455 §7.4).
TEST(WsFrame, ReaderChecksCloseCodes) {
  auto close = [](int code) {
    const char body[2] = {static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
    return ClientFrame(0x88, std::string_view(body, 2));
  };
  for (int code : {1000, 1001, 1002, 1003, 1007, 1011, 1014, 3000, 4000, 4999}) {
    WsFrameReader r(kWsMaxViewerMessage);
    auto e = FeedAll(r, close(code), 3);
    ASSERT_EQ(e.size(), 1u) << code;
    EXPECT_EQ(e[0].first, Event::kClose) << code;
  }
  for (int code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535}) {
    WsFrameReader r(kWsMaxViewerMessage);
    auto e = FeedAll(r, close(code), 3);
    ASSERT_EQ(e.size(), 1u) << code;
    EXPECT_EQ(e[0].first, Event::kProtocolError) << code;
  }
  WsFrameReader empty(kWsMaxViewerMessage);
  auto e = FeedAll(empty, ClientFrame(0x88, ""), 3);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].first, Event::kClose) << "a close without a status code is allowed";
}

// A 64-bit payload length must have its top bit clear (RFC 6455 §5.2).
TEST(WsFrame, ReaderRefusesALengthWithTheTopBitSet) {
  std::string f = "\x81\xFF";  // FIN text, masked, 64-bit length
  f += std::string("\x80\x00\x00\x00\x00\x00\x00\x05", 8);
  f += std::string("\x11\x22\x33\x44hello", 9);
  WsFrameReader r(1u << 31);  // a bound the length would pass if read as unsigned
  auto e = FeedAll(r, f, 1);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].first, Event::kProtocolError);
}

TEST(WsFrame, ReaderBoundsAMessageAcrossItsFragments) {
  WsFrameReader ok(4096);
  EXPECT_TRUE(FeedAll(ok, ClientFrame(0x81, std::string(4096, 'a')), 1000).empty());
  WsFrameReader big(4096);
  auto e = FeedAll(big, ClientFrame(0x81, std::string(70000, 'a')), 1000);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].first, Event::kTooBig) << "refused from the header, before the payload";
  WsFrameReader parts(4096);
  e = FeedAll(parts,
              ClientFrame(0x01, std::string(3000, 'a')) + ClientFrame(0x80, std::string(1200, 'b')),
              512);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].first, Event::kTooBig) << "the fragments of one message add up";
}

namespace http = boost::beast::http;

http::request<http::string_body> Upgrade(std::string_view key, std::string_view version = "13") {
  http::request<http::string_body> req(http::verb::get, "/v1/elections/e/results/ws", 11);
  req.set(http::field::host, "x");
  req.set(http::field::upgrade, "websocket");
  req.set(http::field::connection, "Upgrade");
  if (!key.empty()) req.set(http::field::sec_websocket_key, key);
  req.set(http::field::sec_websocket_version, version);
  return req;
}

// The example of RFC 6455 §1.3: key "dGhlIHNhbXBsZSBub25jZQ==" is accepted with
// "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".
TEST(WsFrame, HandshakeAnswersWithTheAcceptKeyOfRfc6455) {
  std::string error;
  std::string answer = WsHandshakeAnswer(Upgrade("dGhlIHNhbXBsZSBub25jZQ=="), error);
  EXPECT_EQ(error, "");
  EXPECT_EQ(answer.rfind("HTTP/1.1 101 Switching Protocols\r\n", 0), 0u) << answer;
  EXPECT_NE(answer.find("\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"),
            std::string::npos)
      << answer;
  EXPECT_NE(answer.find("\r\nUpgrade: websocket\r\n"), std::string::npos);
  EXPECT_EQ(answer.substr(answer.size() - 4), "\r\n\r\n");
}

TEST(WsFrame, HandshakeRefusesWhatItCannotAccept) {
  std::string error;
  EXPECT_EQ(WsHandshakeAnswer(Upgrade("dGhlIHNhbXBsZSBub25jZQ==", "8"), error), "");
  EXPECT_EQ(error.rfind("HTTP/1.1 426 ", 0), 0u) << error;
  EXPECT_NE(error.find("\r\nSec-WebSocket-Version: 13\r\n"), std::string::npos) << error;
  for (std::string_view key : {"", "short", "dGhlIHNhbXBsZSBub25jZQ=!", "dGhlIHNhbXBsZSBub25jZQ"}) {
    error.clear();
    EXPECT_EQ(WsHandshakeAnswer(Upgrade(key), error), "") << key;
    EXPECT_EQ(error.rfind("HTTP/1.1 400 ", 0), 0u) << key << ": " << error;
  }
  auto plain = Upgrade("dGhlIHNhbXBsZSBub25jZQ==");
  plain.erase(http::field::upgrade);
  error.clear();
  EXPECT_EQ(WsHandshakeAnswer(plain, error), "");
  EXPECT_EQ(error.rfind("HTTP/1.1 400 ", 0), 0u) << error;
}

}  // namespace
}  // namespace urna::net
