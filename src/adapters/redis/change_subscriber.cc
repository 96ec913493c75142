#include "adapters/redis/change_subscriber.h"

#include <poll.h>
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>

#include "adapters/redis/backoff.h"
#include "adapters/redis/redis_connection.h"
#include "adapters/redis/redis_schema.h"

namespace urna::redis {
namespace {
constexpr std::chrono::milliseconds kMaxPingEvery{5000};
}  // namespace

ChangeSubscriber::ChangeSubscriber(RedisUrl url, SubscriberOptions options,
                                   std::function<void(std::string_view)> on_change,
                                   std::function<void()> on_refresh)
    : url_(std::move(url)),
      opts_(std::move(options)),
      channel_(ChangeChannel(opts_.key_prefix)),
      on_change_(std::move(on_change)),
      on_refresh_(std::move(on_refresh)),
      wake_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

ChangeSubscriber::~ChangeSubscriber() {
  Stop();
  if (wake_fd_ >= 0) close(wake_fd_);
}

void ChangeSubscriber::Start() {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "urna-redis-sub");
    Run();
  });
}

void ChangeSubscriber::Stop() {
  stopping_ = true;
  uint64_t one = 1;
  if (wake_fd_ >= 0) (void)!write(wake_fd_, &one, sizeof one);
  if (thread_.joinable()) thread_.join();
}

void ChangeSubscriber::WaitFor(std::chrono::milliseconds d) {
  pollfd p{wake_fd_, POLLIN, 0};
  poll(&p, 1, static_cast<int>(d.count()));
}

void ChangeSubscriber::Run() {
  Backoff backoff(opts_.backoff_min, opts_.backoff_max);
  bool warned = false;
  while (!stopping_) {
    // Subscribing needs no long command timeout: the wait for messages is a poll, below.
    auto conn = RedisConnection::Open(url_, {opts_.connect_timeout, opts_.connect_timeout * 4});
    Status s = conn.ok() ? Status::Ok() : conn.status();
    if (s.ok()) {
      auto r = (*conn)->Command({"SUBSCRIBE", channel_});
      if (!r.ok()) {
        s = r.status();
      } else if ((*r)->type != REDIS_REPLY_ARRAY) {
        s = Status(Code::kInternal, "redis SUBSCRIBE: " + ReplyText(r->get()));
      }
    }
    if (!s.ok()) {
      if (!warned)
        spdlog::warn("redis subscriber: {}: {} (retrying)", url_.Redacted(), s.message());
      warned = true;
      WaitFor(backoff.Next());
      continue;
    }
    if (warned) spdlog::info("redis subscriber: subscribed to {} again", url_.Redacted());
    warned = false;
    backoff.Reset();
    connected_ = true;
    ++subscriptions_;
    on_refresh_();  // changes published while we were not subscribed are lost: re-read all
    bool go_on = Listen(**conn);
    connected_ = false;
    if (!go_on) break;
    spdlog::warn("redis subscriber: lost {} (reconnecting)", url_.Redacted());
    warned = true;
    WaitFor(backoff.Next());
  }
}

bool ChangeSubscriber::Listen(RedisConnection& conn) {
  redisContext* c = conn.raw();
  auto next_refresh = std::chrono::steady_clock::now() + opts_.refresh_every;
  // A PING every `ping_every` (at most 5 s, whatever the refresh period), whose answer must come
  // before the next one: a Redis that went away without closing the connection (a partition, a
  // frozen host) is noticed too.
  const auto ping_every = std::clamp<std::chrono::milliseconds>(
      opts_.ping_every, std::chrono::milliseconds(1), kMaxPingEvery);
  auto next_ping = std::chrono::steady_clock::now() + ping_every;
  bool ping_outstanding = false;
  for (;;) {
    // Replies already buffered first; then wait for the socket, Stop, the next refresh or PING.
    void* raw = nullptr;
    if (redisGetReplyFromReader(c, &raw) != REDIS_OK) return true;
    if (raw == nullptr) {
      auto now = std::chrono::steady_clock::now();
      if (now >= next_refresh) {
        next_refresh = now + opts_.refresh_every;
        on_refresh_();
      }
      if (now >= next_ping) {
        if (ping_outstanding) return true;
        next_ping = now + ping_every;
        conn.Append({"PING"});
        int done = 0;
        while (!done) {
          if (redisBufferWrite(c, &done) != REDIS_OK) return true;
        }
        ping_outstanding = true;
      }
      if (stopping_) return false;
      auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::min(next_refresh, next_ping) - now);
      pollfd p[2] = {{c->fd, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
      int n = poll(p, 2, static_cast<int>(std::max<int64_t>(wait.count(), 1)));
      if (stopping_) return false;
      if (n > 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
        if (redisBufferRead(c) != REDIS_OK) return true;  // closed or reset: reconnect
      }
      continue;
    }
    Reply reply(static_cast<redisReply*>(raw));
    // ["message", channel, payload], or ["pong", ""]
    if (reply->type == REDIS_REPLY_ARRAY && reply->elements >= 1 &&
        reply->element[0]->type == REDIS_REPLY_STRING &&
        std::string_view(reply->element[0]->str, reply->element[0]->len) == "pong") {
      ping_outstanding = false;
    } else if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 3 &&
               reply->element[0]->type == REDIS_REPLY_STRING &&
               std::string_view(reply->element[0]->str, reply->element[0]->len) == "message" &&
               reply->element[2]->type == REDIS_REPLY_STRING) {
      on_change_(std::string_view(reply->element[2]->str, reply->element[2]->len));
    }
  }
}

}  // namespace urna::redis
