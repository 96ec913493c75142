#include "adapters/redis/redis_read_model.h"

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
  if (it != last_.end()) {
    if (got->seq < it->second.seq) return it->second;  // Redis is behind (being refilled)
    it->second = *got;
    return got;
  }
  if (last_.size() >= opts_.max_cached_elections) last_.erase(last_.begin());
  last_.emplace(std::string(election_id), *got);
  return got;
}

Result<ElectionTally> RedisReadModel::Fallback(std::string_view election_id, Status why) {
  auto it = last_.find(election_id);
  if (it != last_.end()) return it->second;
  return why;
}

Result<ElectionTally> RedisReadModel::Read(std::string_view election_id) {
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
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2 || reply->elements % 2 != 0) {
    return Status(Code::kInternal, "redis read script: " + ReplyText(reply));
  }
  for (size_t i = 0; i < reply->elements; ++i) {
    int want = (i >= 2 && i % 2 == 0) ? REDIS_REPLY_STRING : REDIS_REPLY_INTEGER;
    if (reply->element[i]->type != want) {
      return Status(Code::kInternal, "redis read script: unexpected reply");
    }
  }
  ElectionTally t;
  t.seq = static_cast<uint64_t>(reply->element[0]->integer);
  t.updated_at_ms = reply->element[1]->integer;
  for (size_t i = 2; i < reply->elements; i += 2) {
    t.votes[std::string(reply->element[i]->str, reply->element[i]->len)] =
        static_cast<uint64_t>(reply->element[i + 1]->integer);
  }
  return t;
}

}  // namespace urna::redis
