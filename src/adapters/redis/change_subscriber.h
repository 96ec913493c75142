// ChangeSubscriber: a result server's ear on the read model. On its own thread
// (`urna-redis-sub`) and its own connection it SUBSCRIBEs to the change channel and calls
// `on_change(election)` for each message the publishers' script sends. Pub/sub is fire and
// forget (a message sent while the connection is down is lost), so `on_refresh()` is the safety
// net: called after every (re)subscription and every `refresh_every`, it lets the owner re-read
// every election it serves. A PING every `ping_every` (at most 5 s, whatever the refresh period)
// must be answered before the next one, or the connection is made again. When Redis goes away it
// reconnects by itself, with backoff and jitter. Callbacks run on the subscriber's thread and must
// not block for long. Owned by the results role; Start/Stop/connected are thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <thread>

#include "adapters/redis/redis_url.h"

namespace urna::redis {

struct SubscriberOptions {
  std::string key_prefix = "urna";  // the channel is <prefix>:changed
  std::chrono::milliseconds connect_timeout{500};
  std::chrono::milliseconds backoff_min{50};
  std::chrono::milliseconds backoff_max{2000};
  std::chrono::milliseconds refresh_every{5000};
  // A PING this often (capped at 5 s), answered before the next one, or the connection is
  // dropped: a Redis gone silent without closing the connection is noticed whatever the refresh.
  std::chrono::milliseconds ping_every{5000};
};

class ChangeSubscriber {
 public:
  ChangeSubscriber(RedisUrl url, SubscriberOptions options,
                   std::function<void(std::string_view election)> on_change,
                   std::function<void()> on_refresh);
  ~ChangeSubscriber();  // Stop()

  void Start();
  void Stop();  // prompt: wakes the thread out of its wait

  bool connected() const { return connected_.load(); }
  uint64_t subscriptions() const { return subscriptions_.load(); }  // successful SUBSCRIBEs

 private:
  void Run();
  // Reads messages until the connection breaks or Stop; false on Stop.
  bool Listen(class RedisConnection& conn);
  void WaitFor(std::chrono::milliseconds d);

  const RedisUrl url_;
  const SubscriberOptions opts_;
  const std::string channel_;
  std::function<void(std::string_view)> on_change_;
  std::function<void()> on_refresh_;
  int wake_fd_ = -1;  // eventfd: Stop wakes the thread's poll
  std::atomic<bool> stopping_{false};
  std::atomic<bool> connected_{false};
  std::atomic<uint64_t> subscriptions_{0};
  std::thread thread_;
};

}  // namespace urna::redis
