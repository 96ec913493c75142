#include "adapters/redis/redis_connection.h"

namespace urna::redis {
namespace {

timeval ToTimeval(std::chrono::milliseconds ms) {
  return timeval{static_cast<time_t>(ms.count() / 1000),
                 static_cast<suseconds_t>((ms.count() % 1000) * 1000)};
}

void ToArgv(const std::vector<std::string>& args, std::vector<const char*>* argv,
            std::vector<size_t>* lens) {
  argv->reserve(args.size());
  lens->reserve(args.size());
  for (const auto& a : args) {
    argv->push_back(a.data());
    lens->push_back(a.size());
  }
}

}  // namespace

bool IsErrorReply(const redisReply* r, std::string_view prefix) {
  return r != nullptr && r->type == REDIS_REPLY_ERROR &&
         std::string_view(r->str, r->len).starts_with(prefix);
}

std::string ReplyText(const redisReply* r) {
  if (r == nullptr) return "(no reply)";
  if (r->str != nullptr) return std::string(r->str, r->len);
  if (r->type == REDIS_REPLY_INTEGER) return std::to_string(r->integer);
  return "(reply type " + std::to_string(r->type) + ")";
}

Result<std::unique_ptr<RedisConnection>> RedisConnection::Open(const RedisUrl& url,
                                                               const ConnectOptions& options) {
  redisContext* ctx =
      redisConnectWithTimeout(url.host.c_str(), url.port, ToTimeval(options.connect_timeout));
  if (ctx == nullptr) return Status(Code::kUnavailable, "redis: out of memory");
  std::unique_ptr<RedisConnection> conn(new RedisConnection(ctx));
  if (ctx->err) {
    return Status(Code::kUnavailable, "redis " + url.host + ":" + std::to_string(url.port) + ": " +
                                          std::string(ctx->errstr));
  }
  if (redisSetTimeout(ctx, ToTimeval(options.io_timeout)) != REDIS_OK) return conn->IoError();
  redisEnableKeepAlive(ctx);
  if (!url.password.empty()) {
    std::vector<std::string> auth{"AUTH"};
    if (!url.user.empty()) auth.push_back(url.user);
    auth.push_back(url.password);
    auto r = conn->Command(auth);
    if (!r.ok()) return r.status();
    if (IsErrorReply(r->get())) {
      return Status(Code::kPermissionDenied, "redis AUTH refused: " + ReplyText(r->get()));
    }
  }
  if (url.db != 0) {
    auto r = conn->Command({"SELECT", std::to_string(url.db)});
    if (!r.ok()) return r.status();
    if (IsErrorReply(r->get())) {
      return Status(Code::kInvalidArgument,
                    "redis SELECT " + std::to_string(url.db) + ": " + ReplyText(r->get()));
    }
  }
  return conn;
}

RedisConnection::~RedisConnection() { redisFree(ctx_); }

Status RedisConnection::IoError() const {
  return Status(Code::kUnavailable,
                std::string("redis: ") + (ctx_->err ? ctx_->errstr : "connection broken"));
}

Result<Reply> RedisConnection::Command(const std::vector<std::string>& args) {
  if (broken()) return IoError();
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  ToArgv(args, &argv, &lens);
  auto* r = static_cast<redisReply*>(
      redisCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), lens.data()));
  if (r == nullptr) return IoError();
  return Reply(r);
}

void RedisConnection::Append(const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  ToArgv(args, &argv, &lens);
  redisAppendCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), lens.data());
}

Result<Reply> RedisConnection::ReadReply() {
  if (broken()) return IoError();
  void* r = nullptr;
  if (redisGetReply(ctx_, &r) != REDIS_OK || r == nullptr) return IoError();
  return Reply(static_cast<redisReply*>(r));
}

Result<std::string> RedisConnection::LoadScript(std::string_view source) {
  auto r = Command({"SCRIPT", "LOAD", std::string(source)});
  if (!r.ok()) return r.status();
  if ((*r)->type != REDIS_REPLY_STRING) {
    return Status(Code::kInternal, "redis SCRIPT LOAD: " + ReplyText(r->get()));
  }
  return std::string((*r)->str, (*r)->len);
}

bool RedisConnection::broken() const { return ctx_->err != 0; }
int RedisConnection::fd() const { return ctx_->fd; }

}  // namespace urna::redis
