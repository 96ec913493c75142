// RedisUrl: where the Redis read model lives, parsed from `--redis` / URNA_REDIS_URL.
// `redis://[[user]:password@]host[:port][/db]` (port 6379 and db 0 when left out; user and
// password percent-decoded; an IPv6 host in brackets). `rediss://` (TLS) is refused with a
// clear error: Debian's hiredis 0.14 has no TLS (docs/operations.md). A value type.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace urna::redis {

struct RedisUrl {
  std::string host;
  int port = 6379;
  int db = 0;
  std::string user;      // empty: AUTH with the password alone (the `default` user)
  std::string password;  // empty: no AUTH

  // The URL with the password replaced by `***`, for logs and errors.
  std::string Redacted() const;
};

Result<RedisUrl> ParseRedisUrl(std::string_view url);

}  // namespace urna::redis
