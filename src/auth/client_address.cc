#include "auth/client_address.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace urna {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool PrefixMatches(const uint8_t* a, const uint8_t* b, int bits) {
  int full = bits / 8;
  if (std::memcmp(a, b, full) != 0) return false;
  int rest = bits % 8;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xFF << (8 - rest));
  return (a[full] & mask) == (b[full] & mask);
}

}  // namespace

std::optional<IpAddress> ParseIpAddress(std::string_view text) {
  text = Trim(text);
  if (!text.empty() && text.front() == '[') {  // [v6] or [v6]:port
    size_t close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    text = text.substr(1, close - 1);
  } else if (size_t colon = text.find(':'); colon != std::string_view::npos &&
                                            text.find(':', colon + 1) == std::string_view::npos) {
    text = text.substr(0, colon);  // v4:port
  }
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  char buf[INET6_ADDRSTRLEN];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  IpAddress a;
  if (inet_pton(AF_INET, buf, a.bytes.data()) == 1) {
    a.v4 = true;
    return a;
  }
  if (inet_pton(AF_INET6, buf, a.bytes.data()) != 1) return std::nullopt;
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
  if (std::memcmp(a.bytes.data(), kMapped, 12) == 0) {
    std::memmove(a.bytes.data(), a.bytes.data() + 12, 4);
    std::memset(a.bytes.data() + 4, 0, 12);
    a.v4 = true;
  }
  return a;
}

uint64_t AddressKey(const IpAddress& a) {
  uint64_t k = 0;
  if (a.v4) {
    for (int i = 0; i < 4; ++i) k = k << 8 | a.bytes[i];
    return k | (uint64_t{1} << 32);
  }
  for (int i = 0; i < 8; ++i) k = k << 8 | a.bytes[i];
  return k;
}

Result<TrustedProxies> TrustedProxies::Parse(const std::vector<std::string>& cidrs) {
  TrustedProxies t;
  for (const auto& c : cidrs) {
    std::string_view s = Trim(c);
    size_t slash = s.find('/');
    auto addr = ParseIpAddress(s.substr(0, slash));
    if (!addr || s.substr(0, slash).find('[') != std::string_view::npos) {
      return Status(Code::kInvalidArgument, "trusted proxy must be ADDRESS[/BITS]: " + c);
    }
    int max_bits = addr->v4 ? 32 : 128;
    int bits = max_bits;
    if (slash != std::string_view::npos) {
      std::string_view b = s.substr(slash + 1);
      auto [end, ec] = std::from_chars(b.data(), b.data() + b.size(), bits);
      if (ec != std::errc() || end != b.data() + b.size() || b.empty() || bits < 0 ||
          bits > max_bits) {
        return Status(Code::kInvalidArgument, "trusted proxy prefix length out of range: " + c);
      }
    }
    t.ranges_.push_back({*addr, bits});
  }
  return t;
}

bool TrustedProxies::Contains(const IpAddress& a) const {
  for (const auto& r : ranges_) {
    if (r.base.v4 == a.v4 && PrefixMatches(r.base.bytes.data(), a.bytes.data(), r.bits)) {
      return true;
    }
  }
  return false;
}

std::optional<IpAddress> TrustedProxies::Client(std::string_view peer, std::string_view xff) const {
  auto client = ParseIpAddress(peer);
  if (!client || !Contains(*client)) return client;
  // The peer is a trusted proxy: walk X-Forwarded-For from the right, past trusted hops.
  while (!xff.empty()) {
    size_t comma = xff.rfind(',');
    std::string_view entry = comma == std::string_view::npos ? xff : xff.substr(comma + 1);
    xff = comma == std::string_view::npos ? std::string_view() : xff.substr(0, comma);
    if (Trim(entry).empty()) continue;
    auto hop = ParseIpAddress(entry);
    if (!hop) return client;  // garbage (written by a trusted client): the last known hop
    client = hop;
    if (!Contains(*hop)) return client;
  }
  return client;  // every hop trusted: the left-most one
}

}  // namespace urna
