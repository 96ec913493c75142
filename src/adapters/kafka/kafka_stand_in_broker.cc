#include "adapters/kafka/kafka_stand_in_broker.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <utility>

namespace urna::kafka::testing {

namespace {

// Big-endian Kafka protocol fields.
class Writer {
 public:
  Writer& I8(int8_t v) { return Raw(&v, 1); }
  Writer& I16(int16_t v) {
    uint16_t n = htons(static_cast<uint16_t>(v));
    return Raw(&n, 2);
  }
  Writer& I32(int32_t v) {
    uint32_t n = htonl(static_cast<uint32_t>(v));
    return Raw(&n, 4);
  }
  Writer& Str(const std::string& s) {
    I16(static_cast<int16_t>(s.size()));
    return Raw(s.data(), s.size());
  }
  Writer& Uvarint(uint32_t v) {
    while (v >= 0x80) {
      I8(static_cast<int8_t>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    return I8(static_cast<int8_t>(v));
  }
  std::string Framed() const {
    Writer w;
    w.I32(static_cast<int32_t>(out_.size()));
    return w.out_ + out_;
  }

 private:
  Writer& Raw(const void* p, size_t n) {
    out_.append(static_cast<const char*>(p), n);
    return *this;
  }
  std::string out_;
};

class Reader {
 public:
  explicit Reader(const std::string& in) : in_(in) {}
  int8_t I8() { return static_cast<int8_t>(Be(1)); }
  int16_t I16() { return static_cast<int16_t>(Be(2)); }
  int32_t I32() { return static_cast<int32_t>(Be(4)); }
  std::string Str() {
    int16_t n = I16();
    if (n < 0 || at_ + static_cast<size_t>(n) > in_.size()) {
      at_ = in_.size() + 1;  // not ok()
      return "";
    }
    std::string s = in_.substr(at_, static_cast<size_t>(n));
    at_ += static_cast<size_t>(n);
    return s;
  }
  bool ok() const { return at_ <= in_.size(); }

 private:
  uint32_t Be(size_t n) {
    uint32_t v = 0;
    for (size_t k = 0; k < n; ++k, ++at_) {
      v = v << 8 | (at_ < in_.size() ? static_cast<uint8_t>(in_[at_]) : 0u);
    }
    return v;
  }
  const std::string& in_;
  size_t at_ = 0;
};

bool ReadFull(int fd, char* p, size_t n, const std::atomic<bool>& stop) {
  while (n > 0) {
    pollfd f{fd, POLLIN, 0};
    if (poll(&f, 1, 100) <= 0) {
      if (stop) return false;
      continue;
    }
    ssize_t got = read(fd, p, n);
    if (got <= 0) return false;
    p += got;
    n -= static_cast<size_t>(got);
  }
  return true;
}

}  // namespace

StandInBroker::StandInBroker(std::string existing, std::string min_insync)
    : existing_(std::move(existing)), min_insync_(std::move(min_insync)) {
  listen_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (bind(listen_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(listen_, 8) != 0 ||
      getsockname(listen_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    return;
  }
  port_ = ntohs(a.sin_port);
  acceptor_ = std::thread([this] { Accept(); });
}

StandInBroker::~StandInBroker() {
  stop_ = true;
  if (acceptor_.joinable()) acceptor_.join();
  for (auto& t : connections_) t.join();
  close(listen_);
}

std::map<std::string, std::map<std::string, std::string>> StandInBroker::created() {
  MutexLock lock(mu_);
  return created_;
}

void StandInBroker::Accept() {
  while (!stop_) {
    pollfd f{listen_, POLLIN, 0};
    if (poll(&f, 1, 100) <= 0) continue;
    int fd = accept(listen_, nullptr, nullptr);
    if (fd >= 0) connections_.emplace_back([this, fd] { Serve(fd); });
  }
}

void StandInBroker::Serve(int fd) {
  for (;;) {
    char size[4];
    if (!ReadFull(fd, size, 4, stop_)) break;
    std::string req(ntohl(*reinterpret_cast<uint32_t*>(size)), '\0');
    if (!ReadFull(fd, req.data(), req.size(), stop_)) break;
    Reader r(req);
    const int16_t key = r.I16(), version = r.I16();
    const int32_t correlation = r.I32();
    Writer w;
    w.I32(correlation);  // response header v0 (ApiVersions always; the others are not flexible)
    if (key == 18) {     // ApiVersions v3: compact array of (key, min, max, no tags)
      const int16_t apis[][3] = {{18, 0, 3}, {3, 0, 1}, {19, 0, 2}, {32, 0, 0}};
      w.I16(0).Uvarint(sizeof apis / sizeof apis[0] + 1);
      for (const auto& api : apis) w.I16(api[0]).I16(api[1]).I16(api[2]).Uvarint(0);
      w.I32(0).Uvarint(0);
    } else if (key == 3 && version == 1) {  // Metadata v1: this broker, `existing` if any
      w.I32(1).I32(1).Str("127.0.0.1").I32(port_).I16(-1);
      w.I32(1);  // controller
      w.I32(existing_.empty() ? 0 : 1);
      if (!existing_.empty()) {
        w.I16(0).Str(existing_).I8(0).I32(3);
        for (int32_t p = 0; p < 3; ++p) {
          // Replicas and in-sync replicas: broker 1 three times (librdkafka only counts).
          w.I16(0).I32(p).I32(1).I32(3).I32(1).I32(1).I32(1).I32(3).I32(1).I32(1).I32(1);
        }
      }
    } else if (key == 32 && version == 0) {  // DescribeConfigs v0
      r.Str();                               // client id
      const int32_t resources = r.I32();
      w.I32(0).I32(resources);
      for (int32_t k = 0; k < resources && r.ok(); ++k) {
        const int8_t type = r.I8();
        const std::string name = r.Str();
        for (int32_t c = r.I32(); c > 0; --c) r.Str();
        const bool known = name == existing_ && !min_insync_.empty();
        w.I16(known ? 0 : 3).I16(-1).I8(type).Str(name).I32(known ? 1 : 0);
        if (known) w.Str("min.insync.replicas").Str(min_insync_).I8(0).I8(1).I8(0);
      }
    } else if (key == 19 && version == 2) {  // CreateTopics v2
      r.Str();                               // client id (request header v1)
      const int32_t topics = r.I32();
      std::vector<std::string> names;
      for (int32_t t = 0; t < topics && r.ok(); ++t) {
        names.push_back(r.Str());
        r.I32();  // partitions
        r.I16();  // replication
        for (int32_t a = r.I32(); a > 0; --a) {
          r.I32();
          for (int32_t b = r.I32(); b > 0; --b) r.I32();
        }
        std::map<std::string, std::string> configs;
        for (int32_t c = r.I32(); c > 0 && r.ok(); --c) {
          std::string name = r.Str();
          configs[name] = r.Str();
        }
        MutexLock lock(mu_);
        created_[names.back()] = configs;
      }
      w.I32(0).I32(static_cast<int32_t>(names.size()));
      for (const auto& n : names) w.Str(n).I16(0).I16(-1);
    } else {
      break;  // not spoken here: the client sees the connection close
    }
    std::string out = w.Framed();
    if (write(fd, out.data(), out.size()) != static_cast<ssize_t>(out.size())) break;
  }
  close(fd);
}

}  // namespace urna::kafka::testing
