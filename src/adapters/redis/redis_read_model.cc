#include "adapters/redis/redis_read_model.h"

#include <algorithm>
#include <charconv>
#include <climits>

#include "adapters/redis/backoff.h"
#include "adapters/redis/redis_connection.h"
#include "adapters/redis/redis_schema.h"

namespace urna::redis {

RedisReadModel::RedisReadModel(RedisUrl url, const Clock& clock, RedisReadModelOptions options)
    : url_(std::move(url)),
      clock_(clock),
      opts_(std::move(options)),
      publisher_(url_, opts_.publisher),
      backoff_(
          std::make_unique<Backoff>(opts_.publisher.backoff_min, opts_.publisher.backoff_max)) {}

RedisReadModel::~RedisReadModel() { publisher_.Stop(); }

Status RedisReadModel::Apply(const PartitionTally& update) {
  return publisher_.Offer(update, clock_.NowMs());
}

Status RedisReadModel::Connected() {
  if (reader_) return Status::Ok();
  if (std::chrono::steady_clock::now() < retry_at_) {
    return Status(Code::kUnavailable, "redis: reconnecting");
  }
  auto conn =
      RedisConnection::Open(url_, {opts_.publisher.connect_timeout, opts_.publisher.io_timeout});
  std::string sha;
  if (conn.ok()) {
    auto loaded = (*conn)->LoadScript(kReadScript);
    if (loaded.ok())
      sha = *loaded;
    else
      conn = loaded.status();
  }
  if (!conn.ok()) {
    retry_at_ = std::chrono::steady_clock::now() + backoff_->Next();
    return conn.status();
  }
  backoff_->Reset();
  reader_ = std::move(*conn);
  read_sha_ = std::move(sha);
  write_side_sha_.clear();
  return Status::Ok();
}

void RedisReadModel::DropIfBroken() {
  if (reader_ && reader_->broken()) {
    reader_.reset();
    retry_at_ = std::chrono::steady_clock::now() + backoff_->Next();
  }
}

Result<RedisReadModel::WriteSide> RedisReadModel::ReadWriteSide() {
  MutexLock lock(read_mu_);
  if (auto s = Connected(); !s.ok()) return s;
  // EVALSHA, loading the script on first use and again after NOSCRIPT (SCRIPT FLUSH, restart).
  Result<Reply> r = Status(Code::kUnavailable, "redis: not read");
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (write_side_sha_.empty()) {
      auto sha = reader_->LoadScript(kWriteSideScript);
      if (!sha.ok()) {
        DropIfBroken();
        return sha.status();
      }
      write_side_sha_ = *sha;
    }
    r = reader_->Command({"EVALSHA", write_side_sha_, "1",
                          LivePartitionsKey(opts_.publisher.key_prefix),
                          LiveKeyPrefix(opts_.publisher.key_prefix)});
    if (!r.ok() || !IsErrorReply(r->get(), "NOSCRIPT")) break;
    write_side_sha_.clear();
  }
  if (!r.ok()) {
    DropIfBroken();
    return r.status();
  }
  const redisReply* reply = r->get();
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3) {
    return Status(Code::kInternal, "redis write-side script: " + ReplyText(reply));
  }
  for (size_t i = 0; i < 3; ++i) {
    if (reply->element[i]->type != REDIS_REPLY_INTEGER) {
      return Status(Code::kInternal, "redis write-side script: unexpected reply");
    }
  }
  WriteSide w;
  w.partitions = static_cast<uint32_t>(reply->element[0]->integer);
  w.silent = static_cast<uint32_t>(reply->element[1]->integer);
  w.max_lag_ms = reply->element[2]->integer;
  return w;
}

Result<ElectionTally> RedisReadModel::Get(std::string_view election_id, bool* from_redis) {
  if (from_redis != nullptr) *from_redis = false;
  MutexLock lock(read_mu_);
  if (auto s = Connected(); !s.ok()) return Fallback(election_id, s);
  auto got = Read(election_id);
  if (!got.ok()) {
    DropIfBroken();
    return Fallback(election_id, got.status());
  }
  last_read_ok_ms_ = clock_.NowMs();
  if (from_redis != nullptr) *from_redis = true;
  auto it = last_.find(election_id);
  if (it == last_.end()) {
    if (last_.size() >= opts_.max_cached_elections) last_.erase(last_.begin());
    it = last_.emplace(std::string(election_id), Known{}).first;
  }
  Merge(it->second, std::move(*got));
  return it->second.tally;
}

void RedisReadModel::Merge(Known& known, RedisState now) {
  bool behind = false;  // a partition seen before is missing from Redis, or older there
  for (const auto& [p, part] : known.parts) {
    auto n = now.parts.find(p);
    if (n == now.parts.end() || n->second.offset < part.offset) behind = true;
  }
  for (auto& [p, part] : now.parts) {
    auto k = known.parts.find(p);
    if (k == known.parts.end()) {
      known.parts.emplace(p, std::move(part));
    } else if (part.offset > k->second.offset) {
      k->second = std::move(part);
    }
  }
  ElectionTally t;
  for (const auto& [p, part] : known.parts) {
    t.seq += part.offset;
    for (const auto& [option, n] : part.counts) t.votes[option] += n;
  }
  t.updated_at_ms = std::max(known.tally.updated_at_ms, now.updated_at_ms);
  t.stale = behind;
  known.tally = std::move(t);
}

Result<ElectionTally> RedisReadModel::Fallback(std::string_view election_id, Status why) {
  auto it = last_.find(election_id);
  if (it != last_.end()) return it->second.tally;
  return why;
}

Result<RedisReadModel::RedisState> RedisReadModel::Read(std::string_view election_id) {
  std::vector<std::string> args{"EVALSHA",
                                read_sha_,
                                "2",
                                OffsetsKey(opts_.publisher.key_prefix, election_id),
                                UpdatedAtKey(opts_.publisher.key_prefix, election_id),
                                CountsKeyPrefix(opts_.publisher.key_prefix, election_id)};
  auto r = reader_->Command(args);
  if (r.ok() && IsErrorReply(r->get(), "NOSCRIPT")) {
    auto sha = reader_->LoadScript(kReadScript);
    if (!sha.ok()) return sha.status();
    read_sha_ = *sha;
    args[1] = read_sha_;
    r = reader_->Command(args);
  }
  if (!r.ok()) return r.status();
  const redisReply* reply = r->get();
  const Status bad(Code::kInternal, "redis read script: " + ReplyText(reply));
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 1 ||
      reply->element[0]->type != REDIS_REPLY_INTEGER) {
    return bad;
  }
  auto text = [&](size_t i, std::string_view* out) {
    if (i >= reply->elements || reply->element[i]->type != REDIS_REPLY_STRING) return false;
    *out = std::string_view(reply->element[i]->str, reply->element[i]->len);
    return true;
  };
  auto number = [&](size_t i, uint64_t* out) {
    std::string_view v;
    if (!text(i, &v)) return false;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), *out);
    return ec == std::errc() && end == v.data() + v.size();
  };
  RedisState state;
  state.updated_at_ms = reply->element[0]->integer;
  for (size_t i = 1; i < reply->elements;) {
    uint64_t partition = 0;
    PartitionState part;
    if (!number(i, &partition) || partition > UINT32_MAX || !number(i + 1, &part.offset) ||
        i + 2 >= reply->elements || reply->element[i + 2]->type != REDIS_REPLY_INTEGER) {
      return bad;
    }
    const auto n = static_cast<size_t>(reply->element[i + 2]->integer);
    i += 3;
    for (size_t j = 0; j < n; ++j, i += 2) {
      std::string_view option;
      uint64_t votes = 0;
      if (!text(i, &option) || !number(i + 1, &votes)) return bad;
      part.counts[std::string(option)] = votes;
    }
    state.parts[static_cast<uint32_t>(partition)] = std::move(part);
  }
  return state;
}

}  // namespace urna::redis
