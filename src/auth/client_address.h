// Client addresses for rate limiting: IPv4/IPv6 parsing, trusted proxy ranges (CIDR) and the
// X-Forwarded-For rule. The peer of the TCP connection is the client, unless the peer is a
// trusted proxy: then the client is the right-most X-Forwarded-For entry that is not itself a
// trusted proxy (entries left of it were written by the client and can be forged).
// TrustedProxies is immutable after Parse and thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace urna {

// An IPv4 or IPv6 address; IPv4 (and IPv4-mapped IPv6, ::ffff:a.b.c.d) is kept as 4 bytes.
struct IpAddress {
  std::array<uint8_t, 16> bytes{};
  bool v4 = false;
};

// "192.0.2.1", "2001:db8::1", "::ffff:192.0.2.1"; also "192.0.2.1:443" and "[2001:db8::1]:443"
// as some proxies write them. nullopt for anything else.
std::optional<IpAddress> ParseIpAddress(std::string_view text);

// The rate-limit key of an address: an IPv4 address is one key; an IPv6 address counts by its
// /64 prefix, the block one subscriber line or host is given (so a host cannot take a fresh
// limit per address of its /64). The two never collide (IPv4 keys sit in ::/8, unassigned).
uint64_t AddressKey(const IpAddress& address);

class TrustedProxies {
 public:
  // Each entry "ADDRESS/BITS" or a bare address (all bits). kInvalidArgument on a bad one.
  static Result<TrustedProxies> Parse(const std::vector<std::string>& cidrs);

  bool Contains(const IpAddress& address) const;
  bool empty() const { return ranges_.empty(); }

  // The client of a request from `peer` carrying `x_forwarded_for` (all its headers joined by
  // commas). nullopt when the peer is not an address (then nothing is known of the client).
  std::optional<IpAddress> Client(std::string_view peer, std::string_view x_forwarded_for) const;

 private:
  struct Range {
    IpAddress base;
    int bits = 0;
  };
  std::vector<Range> ranges_;
};

}  // namespace urna
