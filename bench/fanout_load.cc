// Fan-out load tool: holds many SSE and WebSocket subscribers on one stream endpoint (urna's
// results streams, or an Nchan channel) and records when each subscriber receives each message.
// Each message must carry `"seq":N` in its JSON payload. One process holds up to ~19,000
// connections (the per-process open-file limit here is 20,000); run several and give each its
// own 127.0.0.x source addresses for more.
//
// Two arrival times per message: when this process parsed it (user space: includes this single
// thread's own backlog while thousands of sockets become readable at once) and when the kernel
// queued the bytes that completed it on the socket (SO_TIMESTAMPNS, read with recvmsg's control
// message: what the server and the network took, without the generator's backlog). On TCP the
// kernel time is an upper bound, never early: recvmsg gives the stamp of the last segment it
// consumed, and segments merged in the receive queue keep the newer one, so a message read
// together with later bytes gets their (later) time.
//
// Prints "connected N failed F pending P" once every connect has succeeded or failed, or
// --connect-timeout seconds after the last connect was started (P: connects that did neither:
// "pending N: <stage>" lines say where they wait), with "failed N: <stage>: <error>" lines.
// A subscriber is connected once the server's answer head arrived (200 for SSE, 101 for
// WebSocket). At the end "dropped N: <why>" counts connected subscribers the server or the
// kernel ended. After the first line, "now: connected N failed F pending P dropped D" whenever
// those change (at most once a second): connects pending at the first line may finish later.
// Scripts read the last such line for the subscribers held. On SIGTERM/SIGINT (or after --seconds)
// writes "<seq> <arrival unix us> <updated_at unix ms> <viewer> <kernel arrival unix us>" lines to
// --out (updated_at: the snapshot's own time, 0 when the message has none; viewer: the connection's
// index in this process; kernel arrival 0 when the kernel gave no timestamp).
//
// fanout_load --port P --sse-path PATH --ws-path PATH --sse N --ws N [--host 127.0.0.1]
//             [--sources 127.0.0.2,127.0.0.3] [--seconds 60] [--connect-rate N]
//             [--connect-timeout 60] --out FILE
// --connect-rate: about N new connections a second (default: 500 every 50 ms of its loop).
// Written on raw sockets rather than Beast's websocket client: recvmsg's control messages are
// not reachable through Beast's stream, and a viewer only needs to parse unmasked server frames.
#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/asio.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

struct Arrival {
  uint32_t viewer;  // which connection (0..N-1)
  uint32_t seq;
  int64_t us;          // parsed by this process (user space)
  int64_t kernel_us;   // queued on the socket by the kernel (SO_TIMESTAMPNS); 0 if none
  int64_t updated_ms;  // the snapshot's "updated_at" (Unix ms), 0 if absent
};
std::vector<Arrival> g_arrivals;  // single-threaded io_context: no lock
int g_connected = 0, g_failed = 0, g_dropped = 0;
int g_no_timestamps = 0;  // sockets that refused SO_TIMESTAMPNS (their kernel times are 0)
// Why connects failed / connected subscribers ended, "<stage>: <error>" -> count.
std::map<std::string, int> g_fail_reasons, g_drop_reasons;
// Subscribers neither connected nor failed, by the stage they wait in.
std::map<std::string, int> g_pending;

void Failed(const std::string& why) {
  ++g_failed;
  ++g_fail_reasons[why];
}

int64_t NowUs() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

// "updated_at":"2026-11-30T05:26:04.123Z" -> Unix ms; 0 if absent or malformed.
int64_t UpdatedAtMs(std::string_view payload) {
  auto p = payload.find("\"updated_at\":\"");
  if (p == std::string_view::npos || payload.size() < p + 14 + 24) return 0;
  std::string t(payload.substr(p + 14, 24));
  std::tm tm{};
  int ms = 0;
  if (std::sscanf(t.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7) {
    return 0;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&tm)) * 1000 + ms;
}

void Record(uint32_t viewer, std::string_view payload, int64_t kernel_us) {
  auto p = payload.find("\"seq\":");
  if (p == std::string_view::npos) return;
  g_arrivals.push_back({viewer,
                        static_cast<uint32_t>(std::strtoul(payload.data() + p + 6, nullptr, 10)),
                        NowUs(), kernel_us, UpdatedAtMs(payload)});
}

// One subscriber of either kind on a raw socket: connect, request, answer head, then events
// (SSE: split on blank lines, "data:" payloads) or frames (WebSocket: unmasked server frames).
class Viewer : public std::enable_shared_from_this<Viewer> {
 public:
  Viewer(uint32_t id, bool ws, tcp::socket s, const std::string& request)
      : id_(id), ws_(ws), sock_(std::move(s)), req_(request) {}

  void Start(const tcp::endpoint& ep) {
    Enter(ws_ ? "ws connect" : "sse connect");
    sock_.async_connect(ep, [self = shared_from_this()](boost::system::error_code ec) {
      if (ec) return self->Fail(ec.message());
      int on = 1;  // kernel receive timestamps, as SCM_TIMESTAMPNS on each recvmsg
      if (::setsockopt(self->sock_.native_handle(), SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) !=
              0 &&
          g_no_timestamps++ == 0) {
        std::fprintf(stderr, "SO_TIMESTAMPNS: %s (kernel arrival times will be 0)\n",
                     std::strerror(errno));
      }
      self->sock_.non_blocking(true, ec);
      if (ec) return self->Fail("non-blocking: " + ec.message());
      self->Enter(self->ws_ ? "ws answer" : "sse answer");
      asio::async_write(self->sock_, asio::buffer(self->req_),
                        [self](boost::system::error_code ec, size_t) {
                          if (ec) return self->Fail("request: " + ec.message());
                          self->req_.clear();
                          self->req_.shrink_to_fit();
                          self->Read();
                        });
    });
  }

 private:
  void Enter(const char* stage) {
    if (stage_) --g_pending[stage_];
    stage_ = stage;
    if (stage_) ++g_pending[stage_];
  }
  void Fail(const std::string& why) {
    std::string where = stage_ ? stage_ : "?";
    Enter(nullptr);
    Failed(where + ": " + why);
    Close();
  }
  void Drop(const std::string& why) {
    ++g_dropped;
    ++g_drop_reasons[std::string(ws_ ? "ws" : "sse") + ": " + why];
    Close();
  }
  void Close() {
    boost::system::error_code ec;
    sock_.close(ec);
  }
  void Ended(const std::string& why) {
    if (connected_) return Drop(why);
    Fail(why);
  }

  void Read() {
    sock_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](auto ec) {
      if (ec) return self->Ended(ec.message());
      self->Drain();
    });
  }

  // Reads what the socket holds; every message completed by a read gets that read's kernel
  // timestamp.
  void Drain() {
    for (int i = 0; i < 64; ++i) {  // bounded: other sockets' turn
      char data[4096];
      iovec iov{data, sizeof data};
      alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec))];
      msghdr msg{};
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control;
      msg.msg_controllen = sizeof control;
      ssize_t n = ::recvmsg(sock_.native_handle(), &msg, 0);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return Read();
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Ended(std::strerror(errno));
      if (n == 0) return Ended("closed by the server");
      int64_t kernel_us = 0;
      for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
          timespec ts;
          std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
          kernel_us = static_cast<int64_t>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
        }
      }
      buf_.append(data, static_cast<size_t>(n));
      if (!Parse(kernel_us)) return;
    }
    asio::post(sock_.get_executor(), [self = shared_from_this()] { self->Drain(); });
  }

  // false: the subscriber ended (a bad answer).
  bool Parse(int64_t kernel_us) {
    if (!connected_) {
      size_t end = buf_.find("\r\n\r\n");
      if (end == std::string::npos) {
        if (buf_.size() > 16384) {
          Fail("answer head over 16 KiB");
          return false;
        }
        return true;
      }
      const char* want = ws_ ? "HTTP/1.1 101" : "HTTP/1.1 200";
      if (buf_.compare(0, 12, want) != 0) {
        Fail("answered " + buf_.substr(0, std::min(buf_.find("\r\n"), size_t{40})));
        return false;
      }
      Enter(nullptr);
      connected_ = true;
      ++g_connected;
      buf_.erase(0, end + 4);
    }
    return ws_ ? Frames(kernel_us) : Events(kernel_us);
  }
  bool Events(int64_t kernel_us) {
    size_t end;
    while ((end = buf_.find("\n\n")) != std::string::npos) {
      std::string_view ev(buf_.data(), end);
      if (auto d = ev.find("data: "); d != std::string_view::npos) {
        Record(id_, ev.substr(d + 6), kernel_us);
      }
      buf_.erase(0, end + 2);
    }
    if (buf_.size() > (1 << 20)) buf_.clear();
    return true;
  }
  bool Frames(int64_t kernel_us) {
    for (;;) {
      if (buf_.size() < 2) return true;
      const auto* b = reinterpret_cast<const uint8_t*>(buf_.data());
      if (b[1] & 0x80) {
        Drop("a masked server frame");
        return false;
      }
      uint64_t len = b[1] & 0x7F;
      size_t at = 2;
      if (len == 126) {
        if (buf_.size() < 4) return true;
        len = (uint64_t{b[2]} << 8) | b[3];
        at = 4;
      } else if (len == 127) {
        if (buf_.size() < 10) return true;
        len = 0;
        for (int i = 2; i < 10; ++i) len = (len << 8) | b[i];
        at = 10;
      }
      if (len > (1 << 20)) {
        Drop("a frame over 1 MiB");
        return false;
      }
      if (buf_.size() < at + len) return true;
      if ((b[0] & 0x0F) == 0x1) Record(id_, std::string_view(buf_.data() + at, len), kernel_us);
      if ((b[0] & 0x0F) == 0x8) {
        Drop("closed by the server (close frame)");
        return false;
      }
      if ((b[0] & 0x0F) == 0x9 && len <= 125) {
        // Ping: a pong, masked as a client must mask. Its key is zero, so the payload goes as
        // is: a valid frame, but not the unpredictable key RFC 6455 5.3 asks of a browser
        // (against cache poisoning through proxies); enough for a bench on loopback.
        std::string pong = {'\x8A', static_cast<char>(0x80 | len), 0, 0, 0, 0};
        pong.append(buf_, at, len);
        SendOut(std::move(pong));
      }
      buf_.erase(0, at + len);
    }
  }

  // Sends `data` after whatever is still queued; a short send queues the rest, written once the
  // socket can take it (pongs must arrive whole: urna closes a viewer after two silent
  // keep-alives).
  void SendOut(std::string data) {
    out_ += data;
    if (writing_) return;
    while (!out_.empty()) {
      ssize_t n =
          ::send(sock_.native_handle(), out_.data(), out_.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      if (n < 0) return out_.clear();  // the connection failed: the read side reports it
      out_.erase(0, static_cast<size_t>(n));
    }
    if (out_.empty()) return;
    writing_ = true;
    sock_.async_wait(tcp::socket::wait_write, [self = shared_from_this()](auto ec) {
      self->writing_ = false;
      if (ec) return self->out_.clear();
      self->SendOut("");
    });
  }

  uint32_t id_;
  bool ws_;
  bool writing_ = false;  // waiting for room to send out_
  bool connected_ = false;
  const char* stage_ = nullptr;
  tcp::socket sock_;
  std::string req_, buf_, out_;
};

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1", sse_path, ws_path, out, sources_arg;
  int port = 0, n_sse = 0, n_ws = 0, seconds = 600, rate = 0, connect_timeout = 60;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--host")
      host = v;
    else if (k == "--port")
      port = std::stoi(v);
    else if (k == "--sse-path")
      sse_path = v;
    else if (k == "--ws-path")
      ws_path = v;
    else if (k == "--sse")
      n_sse = std::stoi(v);
    else if (k == "--ws")
      n_ws = std::stoi(v);
    else if (k == "--sources")
      sources_arg = v;
    else if (k == "--seconds")
      seconds = std::stoi(v);
    else if (k == "--out")
      out = v;
    else if (k == "--connect-rate")
      rate = std::stoi(v);
    else if (k == "--connect-timeout")
      connect_timeout = std::stoi(v);
  }
  std::vector<std::string> sources;
  for (size_t p = 0; !sources_arg.empty() && p != std::string::npos;) {
    size_t q = sources_arg.find(',', p);
    sources.push_back(sources_arg.substr(p, q == std::string::npos ? q : q - p));
    p = q == std::string::npos ? q : q + 1;
  }
  if (sources.empty()) sources.push_back("");
  g_arrivals.reserve(static_cast<size_t>(n_sse + n_ws) * 200);

  asio::io_context io(1);
  tcp::endpoint ep(asio::ip::make_address(host), static_cast<uint16_t>(port));
  const std::string sse_req =
      "GET " + sse_path + " HTTP/1.1\r\nHost: " + host + "\r\nAccept: text/event-stream\r\n\r\n";
  const std::string ws_req = "GET " + ws_path + " HTTP/1.1\r\nHost: " + host +
                             "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                             "Sec-WebSocket-Version: 13\r\n\r\n";
  for (int i = 0; i < n_sse + n_ws; ++i) {
    asio::post(io, [&, i] {
      const bool ws = i >= n_sse;
      tcp::socket s(io);
      boost::system::error_code ec;
      s.open(tcp::v4(), ec);
      if (ec) return Failed(std::string(ws ? "ws" : "sse") + " socket: " + ec.message());
      const auto& source = sources[i % sources.size()];
      if (!source.empty()) {
        // The port is chosen at connect, for the whole 4-tuple (not bind's one port per
        // address for every destination).
        int on = 1;
        ::setsockopt(s.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &on, sizeof on);
        s.bind(tcp::endpoint(asio::ip::make_address(source), 0), ec);
        if (ec) return Failed(std::string(ws ? "ws" : "sse") + " bind: " + ec.message());
      }
      std::make_shared<Viewer>(i, ws, std::move(s), ws ? ws_req : sse_req)->Start(ep);
    });
    // Stagger the connects a little so the listen backlog is not overrun.
    if (rate > 0 && i % 100 == 99) {
      io.run_for(std::chrono::milliseconds(100'000 / rate));  // 100 connects per step
    } else if (rate <= 0 && i % 500 == 499) {
      io.run_for(std::chrono::milliseconds(50));
    }
  }
  const auto announce_by = std::chrono::steady_clock::now() + std::chrono::seconds(connect_timeout);
  asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](auto, int) { io.stop(); });
  asio::steady_timer report(io);
  bool announced = false;
  std::array<int, 3> last_said{};  // connected, failed, dropped at the last line printed
  auto last_said_at = std::chrono::steady_clock::now();
  std::function<void()> tick = [&] {
    report.expires_after(std::chrono::milliseconds(200));
    report.async_wait([&](auto ec) {
      if (ec) return;
      const int pending = n_sse + n_ws - g_connected - g_failed;
      if (!announced && (pending == 0 || std::chrono::steady_clock::now() >= announce_by)) {
        std::printf("connected %d failed %d pending %d\n", g_connected, g_failed, pending);
        for (const auto& [why, n] : g_fail_reasons) std::printf("failed %d: %s\n", n, why.c_str());
        for (const auto& [stage, n] : g_pending) {
          if (n > 0) std::printf("pending %d: %s\n", n, stage.c_str());
        }
        std::fflush(stdout);
        announced = true;
        last_said = {g_connected, g_failed, g_dropped};
        last_said_at = std::chrono::steady_clock::now();
      } else if (announced && std::array<int, 3>{g_connected, g_failed, g_dropped} != last_said &&
                 std::chrono::steady_clock::now() - last_said_at >= std::chrono::seconds(1)) {
        std::printf("now: connected %d failed %d pending %d dropped %d\n", g_connected, g_failed,
                    pending, g_dropped);
        std::fflush(stdout);
        last_said = {g_connected, g_failed, g_dropped};
        last_said_at = std::chrono::steady_clock::now();
      }
      tick();
    });
  };
  tick();
  io.run_for(std::chrono::seconds(seconds));
  FILE* f = std::fopen(out.c_str(), "w");
  if (!f) return 1;
  for (const auto& a : g_arrivals) {
    std::fprintf(f, "%u %lld %lld %u %lld\n", a.seq, static_cast<long long>(a.us),
                 static_cast<long long>(a.updated_ms), a.viewer,
                 static_cast<long long>(a.kernel_us));
  }
  std::fclose(f);
  std::printf("arrivals %zu\n", g_arrivals.size());
  std::printf("at the end: connected %d failed %d pending %d dropped %d\n", g_connected, g_failed,
              n_sse + n_ws - g_connected - g_failed, g_dropped);
  for (const auto& [why, n] : g_drop_reasons) std::printf("dropped %d: %s\n", n, why.c_str());
  if (g_no_timestamps > 0) std::printf("no kernel timestamps on %d sockets\n", g_no_timestamps);
  for (const auto& [stage, n] : g_pending) {
    if (n > 0) std::printf("pending %d: %s\n", n, stage.c_str());
  }
  return 0;
}
