#include "adapters/redis/tally_publisher.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <random>
#include <vector>

#include "adapters/redis/backoff.h"
#include "adapters/redis/redis_connection.h"
#include "adapters/redis/redis_schema.h"

namespace urna::redis {
namespace {

std::string RandomId() {
  std::random_device rd;
  uint64_t v = (uint64_t{rd()} << 32) | rd();
  char buf[17];
  snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// The marker outlives any check interval many times over; if it expires anyway (the publisher
// was stuck), the cost is one spurious full re-send, which the fencing makes harmless.
constexpr std::chrono::seconds kMarkerTtlMin{300};

}  // namespace

TallyPublisher::TallyPublisher(RedisUrl url, PublisherOptions options)
    : url_(std::move(url)),
      opts_(std::move(options)),
      channel_(ChangeChannel(opts_.key_prefix)),
      marker_key_(opts_.key_prefix + ":pub:" + RandomId()) {}

TallyPublisher::~TallyPublisher() { Stop(); }

void TallyPublisher::Start() {
  std::call_once(started_, [this] {
    thread_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "urna-redis-pub");
      Run();
    });
  });
}

void TallyPublisher::ForgetPartition(uint32_t partition) {
  MutexLock lock(mu_);
  auto it = entries_.lower_bound(Key{partition, ""});
  while (it != entries_.end() && it->first.first == partition) {
    if (it->second.dirty) --dirty_;
    it = entries_.erase(it);
  }
  auto d = dropped_.lower_bound(Key{partition, ""});
  while (d != dropped_.end() && d->first.first == partition) d = dropped_.erase(d);
}

void TallyPublisher::SetLagSource(std::function<WriteSideLag()> source) {
  {
    MutexLock lock(lag_mu_);
    lag_source_ = std::move(source);
    has_lag_source_ = static_cast<bool>(lag_source_);
  }
  if (has_lag_source_) {
    Start();
    { MutexLock lock(mu_); }  // the thread is waiting or has yet to look: either way it sees it
    cv_.NotifyAll();          // a first heartbeat at once
  }
}

bool TallyPublisher::Heartbeat(RedisConnection& conn) {
  WriteSideLag lag;
  {
    MutexLock lock(lag_mu_);
    if (!lag_source_) return true;
    lag = lag_source_();
  }
  if (lag.partitions == 0 && lag.lag_ms.empty()) return true;
  {
    MutexLock lock(mu_);
    const auto now = std::chrono::steady_clock::now();
    for (const auto& [partition, since] : Backlog()) {
      auto it = lag.lag_ms.find(partition);
      if (it == lag.lag_ms.end()) continue;  // not this processor's any more
      const int64_t age =
          std::chrono::duration_cast<std::chrono::milliseconds>(now - since).count();
      it->second = std::max(it->second, age);
    }
  }
  const std::string prefix = LiveKeyPrefix(opts_.key_prefix);
  std::vector<std::string> args{"EVALSHA", beat_sha_, std::to_string(1 + lag.lag_ms.size()),
                                LivePartitionsKey(opts_.key_prefix)};
  for (const auto& [partition, ms] : lag.lag_ms) args.push_back(prefix + std::to_string(partition));
  args.push_back(marker_key_);
  args.push_back(std::to_string(std::max<int64_t>(1, opts_.heartbeat_ttl.count())));
  args.push_back(std::to_string(lag.partitions));
  for (const auto& [partition, ms] : lag.lag_ms) args.push_back(std::to_string(ms));
  auto r = conn.Command(args);
  if (r.ok() && IsErrorReply(r->get(), "NOSCRIPT")) {
    auto sha = conn.LoadScript(kHeartbeatScript);
    if (!sha.ok()) return !conn.broken();
    beat_sha_ = *sha;
    args[1] = beat_sha_;
    r = conn.Command(args);
  }
  if (!r.ok()) return false;
  if (!IsErrorReply(r->get())) {  // refused (OOM, READONLY): the entries expire
    MutexLock lock(mu_);
    ++stats_.beats;
  }
  return true;
}

std::map<uint32_t, std::chrono::steady_clock::time_point> TallyPublisher::Backlog() const {
  std::map<uint32_t, std::chrono::steady_clock::time_point> oldest;
  auto note = [&](uint32_t partition, std::chrono::steady_clock::time_point since) {
    auto [it, added] = oldest.emplace(partition, since);
    if (!added) it->second = std::min(it->second, since);
  };
  if (dirty_ > 0) {
    for (const auto& [key, e] : entries_) {
      if (e.dirty) note(key.first, e.dirty_since);
    }
  }
  for (const auto& [key, since] : dropped_) note(key.first, since);
  return oldest;
}

void TallyPublisher::Stop() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  cv_.NotifyAll();
  if (thread_.joinable()) thread_.join();
}

Status TallyPublisher::Offer(const PartitionTally& update, int64_t updated_at_ms) {
  Start();
  bool dropped = false;
  const auto now = std::chrono::steady_clock::now();
  {
    MutexLock lock(mu_);
    for (const auto& [election, counts] : update.elections) {
      Key key{update.partition, election};
      auto it = entries_.find(key);
      if (it == entries_.end()) {
        if (entries_.size() >= opts_.max_entries && !EvictOne()) {
          ++stats_.dropped;
          dropped = true;
          if (dropped_.size() < opts_.max_entries) dropped_.emplace(std::move(key), now);
          continue;
        }
        dropped_.erase(key);
        it = entries_.emplace(std::move(key), Entry{}).first;
      } else if (it->second.offset >= update.next_offset) {
        continue;  // older or the same: Redis would fence it off anyway
      }
      Entry& e = it->second;
      e.offset = update.next_offset;
      e.updated_at_ms = updated_at_ms;
      e.counts = std::make_shared<const OptionCounts>(counts);
      e.version = ++version_;
      if (!e.dirty) {
        ++dirty_;
        e.dirty_since = now;
      }
      e.dirty = true;
    }
  }
  cv_.NotifyOne();
  if (dropped) {
    return Status(Code::kUnavailable,
                  "redis read model: more than " + std::to_string(opts_.max_entries) +
                      " (partition, election) pairs undelivered; update dropped");
  }
  return Status::Ok();
}

bool TallyPublisher::EvictOne() {
  auto victim = entries_.end();
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (!it->second.dirty &&
        (victim == entries_.end() || it->second.version < victim->second.version)) {
      victim = it;
    }
  }
  if (victim == entries_.end()) return false;
  entries_.erase(victim);
  return true;
}

void TallyPublisher::MarkAllDirty(std::chrono::steady_clock::time_point since) {
  for (auto& [key, e] : entries_) {
    if (!e.dirty) e.dirty_since = since;
    e.dirty = true;
  }
  dirty_ = entries_.size();
  ++stats_.resends;
}

PublisherStats TallyPublisher::stats() const {
  MutexLock lock(mu_);
  PublisherStats s = stats_;
  s.entries = entries_.size();
  s.pending = dirty_;
  return s;
}

void TallyPublisher::WaitFor(std::chrono::milliseconds d) {
  auto deadline = std::chrono::steady_clock::now() + d;
  MutexLock lock(mu_);
  while (!stopping_ && cv_.WaitUntil(mu_, deadline)) {
  }
}

std::unique_ptr<RedisConnection> TallyPublisher::Connect() {
  auto conn = RedisConnection::Open(url_, {opts_.connect_timeout, opts_.io_timeout});
  if (!conn.ok()) {
    if (!down_logged_) {
      spdlog::warn("redis read model: cannot publish to {}: {} (retrying)", url_.Redacted(),
                   conn.status().message());
    }
    down_logged_ = true;
    MutexLock lock(mu_);
    stats_.connected = false;
    ++stats_.failures;
    return nullptr;
  }
  auto sha = (*conn)->LoadScript(kApplyScript);
  if (!sha.ok()) {
    MutexLock lock(mu_);
    stats_.connected = false;
    ++stats_.failures;
    return nullptr;
  }
  sha_ = *sha;
  auto beat = (*conn)->LoadScript(kHeartbeatScript);
  if (!beat.ok()) {
    MutexLock lock(mu_);
    stats_.connected = false;
    ++stats_.failures;
    return nullptr;
  }
  beat_sha_ = *beat;
  return std::move(*conn);
}

// EXPIRE answers 0 when the marker is gone: Redis lost our data (flushed, or restarted empty
// behind a proxy that kept the connection). Then the marker is set again and everything re-sent.
bool TallyPublisher::MarkerPresent(RedisConnection& conn) {
  auto ttl = std::max<std::chrono::seconds>(
      kMarkerTtlMin, std::chrono::duration_cast<std::chrono::seconds>(opts_.marker_check * 10));
  auto r = conn.Command({"EXPIRE", marker_key_, std::to_string(ttl.count())});
  if (r.ok() && (*r)->type == REDIS_REPLY_INTEGER && (*r)->integer == 1) {
    marker_seen_at_ = std::chrono::steady_clock::now();
    return true;
  }
  conn.Command({"SET", marker_key_, "1", "EX", std::to_string(ttl.count())});
  return false;
}

TallyPublisher::SendResult TallyPublisher::Send(RedisConnection& conn,
                                                const std::vector<Item>& items) {
  for (const auto& item : items) {
    const std::string& election = item.key.second;
    std::vector<std::string> args{
        "EVALSHA",
        sha_,
        "3",
        OffsetsKey(opts_.key_prefix, election),
        CountsKeyPrefix(opts_.key_prefix, election) + std::to_string(item.key.first),
        UpdatedAtKey(opts_.key_prefix, election),
        std::to_string(item.key.first),
        std::to_string(item.entry.offset),
        std::to_string(item.entry.updated_at_ms),
        channel_,
        election};
    args.reserve(args.size() + 2 * item.entry.counts->size());
    for (const auto& [option, n] : *item.entry.counts) {
      args.push_back(option);
      args.push_back(std::to_string(n));
    }
    conn.Append(args);
  }
  uint64_t applied = 0, fenced = 0;
  bool noscript = false;
  std::string error;
  std::vector<bool> done(items.size(), false);
  for (size_t i = 0; i < items.size(); ++i) {
    auto r = conn.ReadReply();
    if (!r.ok()) return SendResult::kBroken;  // the connection is dropped: all stay pending
    if (IsErrorReply(r->get(), "NOSCRIPT")) {
      noscript = true;
    } else if ((*r)->type == REDIS_REPLY_INTEGER) {
      ((*r)->integer == 1 ? applied : fenced) += 1;
      done[i] = true;
    } else if (error.empty()) {
      error = ReplyText(r->get());  // OOM (maxmemory), READONLY (a replica now), ...
    }
  }
  MutexLock lock(mu_);
  stats_.applied += applied;
  stats_.fenced += fenced;
  stats_.refusals += error.empty() ? 0 : 1;
  for (size_t i = 0; i < items.size(); ++i) {
    if (!done[i]) continue;
    auto it = entries_.find(items[i].key);
    if (it != entries_.end() && it->second.dirty && it->second.version == items[i].entry.version) {
      it->second.dirty = false;
      --dirty_;
    }
  }
  if (!error.empty()) {
    if (!refusing_) {  // once per streak
      spdlog::warn("redis read model: {} refused an update: {} (retrying)", url_.Redacted(), error);
    }
    refusing_ = true;
    return SendResult::kRefused;
  }
  if (refusing_) spdlog::info("redis read model: {} takes updates again", url_.Redacted());
  refusing_ = false;
  return noscript ? SendResult::kNoScript : SendResult::kDone;
}

void TallyPublisher::Lost(std::unique_ptr<RedisConnection>& conn) {
  conn.reset();
  lost_at_ = std::chrono::steady_clock::now();
  MutexLock lock(mu_);
  stats_.connected = false;
  ++stats_.failures;
}

void TallyPublisher::Run() {
  Backoff backoff(opts_.backoff_min, opts_.backoff_max);
  std::unique_ptr<RedisConnection> conn;
  auto next_check = std::chrono::steady_clock::now();
  auto next_beat = next_check;
  lost_at_ = marker_seen_at_ = next_check;
  bool last_pass = false;
  bool beating = false;  // a lag source is set (as last seen)
  for (;;) {
    if (!conn) {
      {
        MutexLock lock(mu_);
        if (stopping_) return;
      }
      conn = Connect();
      if (!conn) {
        WaitFor(backoff.Next());
        continue;
      }
      MarkerPresent(*conn);
      if (down_logged_) spdlog::info("redis read model: publishing to {} again", url_.Redacted());
      down_logged_ = false;
      MutexLock lock(mu_);
      stats_.connected = true;
      ++stats_.connects;
      // Redis may have restarted empty: re-send the latest of everything, missing since the loss
      MarkAllDirty(lost_at_);
      next_check = std::chrono::steady_clock::now() + opts_.marker_check;
    }
    std::vector<Item> items;
    {
      MutexLock lock(mu_);
      // A new lag source asks for a heartbeat at once (SetLagSource notifies).
      if (has_lag_source_ && !beating) next_beat = std::chrono::steady_clock::now();
      beating = has_lag_source_;
      auto wake = beating ? std::min(next_check, next_beat) : next_check;
      while (!stopping_ && dirty_ == 0 && std::chrono::steady_clock::now() < wake) {
        cv_.WaitUntil(mu_, wake);
        if (has_lag_source_ && !beating) break;
      }
      if (stopping_) {
        if (last_pass || dirty_ == 0) return;
        last_pass = true;  // one more bounded pass (io_timeout per round trip), then out
      }
    }
    if (std::chrono::steady_clock::now() >= next_check && !last_pass) {
      next_check = std::chrono::steady_clock::now() + opts_.marker_check;
      bool present = MarkerPresent(*conn);
      if (conn->broken()) {
        Lost(conn);
        WaitFor(backoff.Next());
        continue;
      }
      if (!present) {
        spdlog::warn("redis read model: {} lost its data; re-sending every tally", url_.Redacted());
        MutexLock lock(mu_);
        MarkAllDirty(marker_seen_at_);
      }
    }
    if (beating && std::chrono::steady_clock::now() >= next_beat && !last_pass) {
      next_beat = std::chrono::steady_clock::now() + opts_.heartbeat_every;
      if (!Heartbeat(*conn)) {
        if (!down_logged_) spdlog::warn("redis read model: lost {} (retrying)", url_.Redacted());
        down_logged_ = true;
        Lost(conn);
        WaitFor(backoff.Next());
        continue;
      }
    }
    {
      MutexLock lock(mu_);
      for (const auto& [key, e] : entries_) {
        if (items.size() >= opts_.batch) break;
        if (e.dirty) items.push_back({key, e});
      }
    }
    if (items.empty()) continue;
    switch (Send(*conn, items)) {
      case SendResult::kDone:
        backoff.Reset();           // only now: a Redis that takes connections but refuses writes
        break;                     // (maxmemory) is retried at the backoff's pace, not in a loop
      case SendResult::kNoScript:  // SCRIPT FLUSH, or a restarted Redis behind a proxy
        if (auto sha = conn->LoadScript(kApplyScript); sha.ok()) {
          sha_ = *sha;
        } else {
          conn.reset();
          lost_at_ = std::chrono::steady_clock::now();
        }
        break;
      case SendResult::kBroken:
        if (!down_logged_) spdlog::warn("redis read model: lost {} (retrying)", url_.Redacted());
        down_logged_ = true;
        Lost(conn);
        break;
      case SendResult::kRefused:  // a new connection may find the new primary; never spin
        Lost(conn);
        break;
    }
    if (!conn && !last_pass) WaitFor(backoff.Next());
    if (!conn && last_pass) return;
  }
}

}  // namespace urna::redis
