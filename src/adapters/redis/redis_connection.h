// RedisConnection: one blocking hiredis connection with connect and I/O timeouts, authenticated
// and on its database. Internal to adapters/redis (the only place hiredis is included); owned and
// used by one thread at a time. After an I/O error it is broken for good: open a new one.
#pragma once

#include <hiredis/hiredis.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/redis/redis_url.h"
#include "core/status.h"

namespace urna::redis {

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

struct ConnectOptions {
  std::chrono::milliseconds connect_timeout{500};
  std::chrono::milliseconds io_timeout{1000};  // per command (SO_RCVTIMEO / SO_SNDTIMEO)
};

class RedisConnection {
 public:
  // Connects, AUTHs (user and password, or the password alone) and SELECTs the URL's db.
  // kUnavailable when Redis cannot be reached; kPermissionDenied when AUTH is refused.
  static Result<std::unique_ptr<RedisConnection>> Open(const RedisUrl& url,
                                                       const ConnectOptions& options);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // One command. An error reply (e.g. NOSCRIPT) is a reply, of type REDIS_REPLY_ERROR; an I/O
  // error is kUnavailable and breaks the connection.
  Result<Reply> Command(const std::vector<std::string>& args);
  // Pipelining: queue commands, then read their replies in order.
  void Append(const std::vector<std::string>& args);
  Result<Reply> ReadReply();

  // SCRIPT LOAD: the script's SHA-1, for EVALSHA.
  Result<std::string> LoadScript(std::string_view source);

  bool broken() const;
  int fd() const;
  redisContext* raw() { return ctx_; }

 private:
  explicit RedisConnection(redisContext* ctx) : ctx_(ctx) {}
  Status IoError() const;

  redisContext* ctx_;
};

// True for an error reply that starts with `prefix` (e.g. "NOSCRIPT").
bool IsErrorReply(const redisReply* r, std::string_view prefix = "");
std::string ReplyText(const redisReply* r);

}  // namespace urna::redis
