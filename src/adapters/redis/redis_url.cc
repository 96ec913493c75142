#include "adapters/redis/redis_url.h"

#include <charconv>

namespace urna::redis {
namespace {

// The URL itself is left out of the message: it may hold a password.
Status Bad(std::string_view why) {
  return Status(Code::kInvalidArgument,
                "bad Redis URL: " + std::string(why) +
                    " (expected redis://[[user]:password@]host[:port][/db])");
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 3986 percent-decoding of the user-info (so a password may hold '@', ':' or '/').
bool PercentDecode(std::string_view in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out->push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return false;
    int hi = HexDigit(in[i + 1]), lo = HexDigit(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

bool ParseInt(std::string_view s, int max, int* out) {
  if (s.empty() || s.size() > 10) return false;
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 0 || v > max) return false;
  *out = v;
  return true;
}

}  // namespace

Result<RedisUrl> ParseRedisUrl(std::string_view url) {
  constexpr std::string_view kScheme = "redis://";
  if (url.starts_with("rediss://")) {
    return Status(Code::kInvalidArgument,
                  "rediss:// (Redis over TLS) is not supported: this build uses Debian's hiredis "
                  "0.14, which has no TLS; use redis:// on a private network, or a local TLS "
                  "tunnel (e.g. stunnel) and redis://127.0.0.1:PORT");
  }
  if (!url.starts_with(kScheme)) return Bad("it must start with redis://");
  std::string_view rest = url.substr(kScheme.size());
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return Bad("query strings and fragments are not supported");
  }
  RedisUrl out;
  // user-info: everything up to the LAST '@' before the path (a raw '@' in a password works).
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
  size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view info = authority.substr(0, at);
    authority = authority.substr(at + 1);
    size_t colon = info.find(':');
    if (colon == std::string_view::npos) {
      return Bad("a user name needs a password (redis://user:password@host)");
    }
    if (!PercentDecode(info.substr(0, colon), &out.user) ||
        !PercentDecode(info.substr(colon + 1), &out.password)) {
      return Bad("bad percent-encoding in the user or password");
    }
    if (out.password.empty()) return Bad("empty password");
  }
  // host[:port], the host possibly a bracketed IPv6 address.
  std::string_view host, port;
  if (authority.starts_with('[')) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return Bad("unclosed '[' in the host");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return Bad("unexpected text after the IPv6 host");
      port = after.substr(1);
      if (port.empty()) return Bad("empty port");
    }
  } else {
    size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      if (port.empty()) return Bad("empty port");
    }
  }
  if (host.empty()) return Bad("no host");
  for (char c : host) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == '_' || c == ':';
    if (!ok) return Bad("the host has a character that is not allowed");
  }
  out.host = std::string(host);
  if (!port.empty() && (!ParseInt(port, 65535, &out.port) || out.port == 0)) {
    return Bad("the port must be a number from 1 to 65535");
  }
  if (!path.empty() && !ParseInt(path, 1 << 20, &out.db)) {
    return Bad("the database must be a number (redis://host:port/0)");
  }
  return out;
}

std::string RedisUrl::Redacted() const {
  std::string s = "redis://";
  if (!password.empty()) s += user + ":***@";
  s += host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return s + ":" + std::to_string(port) + "/" + std::to_string(db);
}

}  // namespace urna::redis
