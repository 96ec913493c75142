// Fan-out load tool: holds many SSE and WebSocket subscribers on one stream endpoint (urna's
// results streams, or an Nchan channel) and records when each subscriber receives each message.
// Each message must carry `"seq":N` in its JSON payload. One process holds up to ~19,000
// connections (the per-process open-file limit here is 20,000); run several and give each its
// own 127.0.0.x source addresses for more. Prints "connected N" once all are up, then on
// SIGTERM/SIGINT (or after --seconds) writes "<seq> <arrival unix us> <updated_at unix ms>
// <viewer>" lines to --out (updated_at: the snapshot's own time, 0 when the message has none;
// viewer: the connection's index in this process).
//
// fanout_load --port P --sse-path PATH --ws-path PATH --sse N --ws N [--host 127.0.0.1]
//             [--sources 127.0.0.2,127.0.0.3] [--seconds 60] [--connect-rate N] --out FILE
// --connect-rate: about N new connections a second (default: 500 every 50 ms of its loop).
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

struct Arrival {
  uint32_t viewer;  // which connection (0..N-1)
  uint32_t seq;
  int64_t us;
  int64_t updated_ms;  // the snapshot's "updated_at" (Unix ms), 0 if absent
};
std::vector<Arrival> g_arrivals;  // single-threaded io_context: no lock
std::atomic<int> g_connected{0}, g_failed{0};
// Why connects failed, "<stage>: <error>" -> count (printed after "connected", so a run says
// whether the server refused, reset or never answered).
std::map<std::string, int> g_fail_reasons;

void Failed(const char* stage, const boost::system::error_code& ec) {
  ++g_failed;
  ++g_fail_reasons[std::string(stage) + ": " + ec.message()];
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

void Record(uint32_t viewer, std::string_view payload) {
  auto p = payload.find("\"seq\":");
  if (p == std::string_view::npos) return;
  g_arrivals.push_back({viewer,
                        static_cast<uint32_t>(std::strtoul(payload.data() + p + 6, nullptr, 10)),
                        NowUs(), UpdatedAtMs(payload)});
}

tcp::socket Bound(asio::io_context& io, const std::string& source) {
  tcp::socket s(io);
  s.open(tcp::v4());
  if (!source.empty()) s.bind(tcp::endpoint(asio::ip::make_address(source), 0));
  return s;
}

// An SSE subscriber: raw socket; events are split on blank lines, "data:" payloads recorded.
class Sse : public std::enable_shared_from_this<Sse> {
 public:
  Sse(uint32_t id, tcp::socket s, std::string request)
      : id_(id), sock_(std::move(s)), req_(std::move(request)) {}
  void Start(const tcp::endpoint& ep) {
    sock_.async_connect(ep, [self = shared_from_this()](auto ec) {
      if (ec) return Failed("sse connect", ec);
      asio::async_write(self->sock_, asio::buffer(self->req_), [self](auto ec, size_t) {
        if (ec) return Failed("sse request", ec);
        ++g_connected;
        self->Read();
      });
    });
  }

 private:
  void Read() {
    sock_.async_read_some(asio::buffer(chunk_), [self = shared_from_this()](auto ec, size_t n) {
      if (ec) return;
      self->buf_.append(self->chunk_.data(), n);
      size_t end;
      while ((end = self->buf_.find("\n\n")) != std::string::npos) {
        std::string_view ev(self->buf_.data(), end);
        if (auto d = ev.find("data: "); d != std::string_view::npos)
          Record(self->id_, ev.substr(d + 6));
        self->buf_.erase(0, end + 2);
      }
      if (self->buf_.size() > (1 << 20)) self->buf_.clear();
      self->Read();
    });
  }
  uint32_t id_;
  tcp::socket sock_;
  std::string req_, buf_;
  std::array<char, 4096> chunk_;
};

// A WebSocket subscriber (Beast client).
class Ws : public std::enable_shared_from_this<Ws> {
 public:
  Ws(uint32_t id, tcp::socket s, std::string host, std::string path)
      : id_(id), ws_(std::move(s)), host_(std::move(host)), path_(std::move(path)) {}
  void Start(const tcp::endpoint& ep) {
    ws_.next_layer().async_connect(ep, [self = shared_from_this()](auto ec) {
      if (ec) return Failed("ws connect", ec);
      self->ws_.async_handshake(self->host_, self->path_, [self](auto ec) {
        if (ec) return Failed("ws handshake", ec);
        ++g_connected;
        self->Read();
      });
    });
  }

 private:
  void Read() {
    ws_.async_read(buf_, [self = shared_from_this()](auto ec, size_t) {
      if (ec) return;
      auto data = self->buf_.cdata();
      Record(self->id_, std::string_view(static_cast<const char*>(data.data()), data.size()));
      self->buf_.clear();
      self->Read();
    });
  }
  uint32_t id_;
  websocket::stream<tcp::socket> ws_;
  beast::flat_buffer buf_;
  std::string host_, path_;
};

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1", sse_path, ws_path, out, sources_arg;
  int port = 0, n_sse = 0, n_ws = 0, seconds = 600, rate = 0;
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
  std::string sse_req =
      "GET " + sse_path + " HTTP/1.1\r\nHost: " + host + "\r\nAccept: text/event-stream\r\n\r\n";
  for (int i = 0; i < n_sse + n_ws; ++i) {
    // Stagger the connects a little so the listen backlog is not overrun.
    asio::post(io, [&, i] {
      auto sock = Bound(io, sources[i % sources.size()]);
      if (i < n_sse) {
        std::make_shared<Sse>(i, std::move(sock), sse_req)->Start(ep);
      } else {
        std::make_shared<Ws>(i, std::move(sock), host, ws_path)->Start(ep);
      }
    });
    if (rate > 0 && i % 100 == 99) {
      io.run_for(std::chrono::milliseconds(100'000 / rate));  // 100 connects per step
    } else if (rate <= 0 && i % 500 == 499) {
      io.run_for(std::chrono::milliseconds(50));
    }
  }
  asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](auto, int) { io.stop(); });
  asio::steady_timer report(io);
  bool announced = false;
  std::function<void()> tick = [&] {
    report.expires_after(std::chrono::milliseconds(200));
    report.async_wait([&](auto ec) {
      if (ec) return;
      if (!announced && g_connected + g_failed >= n_sse + n_ws) {
        std::printf("connected %d failed %d\n", g_connected.load(), g_failed.load());
        for (const auto& [why, n] : g_fail_reasons) std::printf("failed %d: %s\n", n, why.c_str());
        std::fflush(stdout);
        announced = true;
      }
      tick();
    });
  };
  tick();
  io.run_for(std::chrono::seconds(seconds));
  FILE* f = std::fopen(out.c_str(), "w");
  if (!f) return 1;
  for (const auto& a : g_arrivals) {
    std::fprintf(f, "%u %lld %lld %u\n", a.seq, static_cast<long long>(a.us),
                 static_cast<long long>(a.updated_ms), a.viewer);
  }
  std::fclose(f);
  std::printf("arrivals %zu\n", g_arrivals.size());
  return 0;
}
