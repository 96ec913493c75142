#include "adapters/embedded/rocksdb_vote_log.h"

#include <rocksdb/db.h>
#include <rocksdb/iostats_context.h>
#include <rocksdb/perf_context.h>
#include <rocksdb/perf_level.h>
#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>
#include <unordered_map>

#include "adapters/codec/proto_codec.h"
#include "adapters/embedded/rocksdb_processor_state.h"
#include "core/partition.h"
#include "sync/vote_probe.h"

namespace urna::embedded {

EmbeddedVoteLog::EmbeddedVoteLog(EmbeddedDb& db, size_t max_batch, size_t index_capacity)
    : db_(db),
      max_batch_(max_batch),
      tail_(db.partitions(), index_capacity),
      next_(db.partitions(), 0),
      wb_(std::make_unique<rocksdb::WriteBatch>()),
      durable_end_(db.partitions(), 0) {
  auto lease = db_.Use();
  if (lease.ok()) FindEnds(lease.generation());
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "urna-log");
    if (probe::Enabled()) rocksdb::SetPerfLevel(rocksdb::PerfLevel::kEnableTimeExceptForMutex);
    Run();
  });
}

EmbeddedVoteLog::~EmbeddedVoteLog() {
  Drain();
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  work_cv_.NotifyAll();
  if (thread_.joinable()) thread_.join();
}

void EmbeddedVoteLog::FindEnds(uint64_t generation) {
  // Each partition's end: the entry before the first key of the next partition.
  std::unique_ptr<rocksdb::Iterator> it(db_.db()->NewIterator(rocksdb::ReadOptions(), db_.log()));
  for (uint32_t p = 0; p < db_.partitions(); ++p) {
    it->SeekForPrev(LogKey(p, UINT64_MAX));
    next_[p] = 0;
    if (it->Valid() && it->key().size() == 12 && GetU32(it->key().ToStringView()) == p) {
      next_[p] = GetU64(it->key().ToStringView().substr(4)) + 1;
    }
  }
  {
    MutexLock lock(end_mu_);
    // A reopen may bring back a batch whose write reported failure (it reached the WAL before
    // the error): it is durable now, so it is read and processed like any other.
    for (uint32_t p = 0; p < db_.partitions(); ++p) {
      durable_end_[p] = std::max(durable_end_[p], next_[p]);
    }
  }
  end_cv_.NotifyAll();
  generation_ = generation;
  RebuildTail();
}

void EmbeddedVoteLog::RebuildTail() {
  const uint32_t parts = db_.partitions();
  const uint64_t share = tail_.capacity() / parts;
  std::vector<uint64_t> from(parts);
  EmbeddedProcessorState state(db_);
  for (uint32_t p = 0; p < parts; ++p) {
    auto processed = state.NextOffset(p);
    const uint64_t lo = processed.ok() ? *processed : 0;
    from[p] = std::max(lo, next_[p] > share ? next_[p] - share : 0);
  }
  tail_.Reset(from);
  size_t read = 0;
  for (uint32_t p = 0; p < parts; ++p) {
    if (from[p] >= next_[p]) continue;
    rocksdb::ReadOptions ro;
    std::string upper = LogKey(p, next_[p]);
    rocksdb::Slice upper_slice(upper);
    ro.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(db_.db()->NewIterator(ro, db_.log()));
    std::vector<TailIndex::Entry> entries;
    for (it->Seek(LogKey(p, from[p])); it->Valid(); it->Next()) {
      auto vote = codec::DecodeVoteRecord(it->value().ToStringView());
      if (!vote.ok()) continue;  // a seal
      entries.push_back(
          {TailIndex::Hash(vote->vote_id), p, GetU64(it->key().ToStringView().substr(4))});
    }
    if (!it->status().ok()) {
      // Not covered: look-ups of this partition fall back to the bounded scan.
      spdlog::warn("receipt index: cannot read partition {}: {}", p, it->status().ToString());
      entries.clear();
      from[p] = next_[p];
    }
    read += entries.size();
    tail_.Add(entries);
  }
  if (read > 0) spdlog::info("receipt index: {} pending votes of the log's tail", read);
}

void EmbeddedVoteLog::Append(VoteEvent vote, AppendDone done) {
  Enqueue({PartitionFor(vote.election_id, vote.voter_id, db_.partitions()),
           codec::EncodeVoteRecord(vote),
           std::move(vote.vote_id),
           std::move(done),
           nullptr,
           0,
           {},
           {},
           false,
           HomeThread::Current(),
           probe::request_read_ns,
           probe::Now()});
}

// The completions of one group: a slot per vote, answered once the last is done.
struct EmbeddedVoteLog::Group {
  std::vector<Result<std::string>> results;
  size_t left = 0;  // the appender thread only
  GroupDone done;
  HomeThread* home = nullptr;  // where `done` runs (null: on the appender thread)
};

namespace {
constexpr std::string_view kRefPrefix = "gwref/";

// A "gwref/" value: vote_id '\0' fingerprint.
std::string RefValue(const std::string& vote_id, const std::string& fingerprint) {
  std::string v;
  v.reserve(vote_id.size() + 1 + fingerprint.size());
  v.append(vote_id).append(1, '\0').append(fingerprint);
  return v;
}
GatewayRef ParseRefValue(std::string_view v) {
  auto nul = v.find('\0');
  if (nul == std::string_view::npos) return {std::string(v), {}};
  return {std::string(v.substr(0, nul)), std::string(v.substr(nul + 1))};
}
// Whether a stored ref names the same vote content (a missing fingerprint is not a mismatch).
bool SameContent(const std::string& stored, const std::string& fingerprint) {
  return stored.empty() || fingerprint.empty() || stored == fingerprint;
}
}  // namespace

void EmbeddedVoteLog::AppendGroup(std::vector<KeyedVote> votes, GroupDone done) {
  if (votes.empty()) return done({});
  auto group = std::make_shared<Group>();
  group->results.assign(votes.size(), Status(Code::kUnavailable, "not appended"));
  group->left = votes.size();
  group->done = std::move(done);
  group->home = HomeThread::Current();
  std::vector<Pending> ps;
  ps.reserve(votes.size());
  for (size_t i = 0; i < votes.size(); ++i) {
    VoteEvent& v = votes[i].vote;
    ps.push_back({PartitionFor(v.election_id, v.voter_id, db_.partitions()),
                  codec::EncodeVoteRecord(v), std::move(v.vote_id), nullptr, group, i,
                  std::move(votes[i].key), std::move(votes[i].fingerprint), false});
  }
  EnqueueAll(std::move(ps));
}

void EmbeddedVoteLog::Complete(Pending& p, const Status& s, const std::string& vote_id) {
  if (!p.group) return p.done(s);
  Group& g = *p.group;
  if (s.ok() && p.conflict) {
    g.results[p.index] = Status(Code::kConflict, "its ref was already used for another vote");
  } else {
    g.results[p.index] = s.ok() ? Result<std::string>(vote_id) : Result<std::string>(s);
  }
  if (--g.left != 0) return;
  if (g.home == nullptr) return g.done(std::move(g.results));
  g.home->Post([done = std::move(g.done), results = std::move(g.results)]() mutable {
    done(std::move(results));
  });
}

void EmbeddedVoteLog::CompleteAll(std::vector<Pending>& batch, const Status& s,
                                  int64_t written_ns) {
  // A batch comes from a handful of network threads: a short list, searched linearly.
  std::vector<std::pair<HomeThread*, std::vector<AppendDone>>> homes;
  for (auto& p : batch) {
    if (p.home == nullptr || p.group) {
      Complete(p, s, p.vote_id);
      continue;
    }
    auto it =
        std::find_if(homes.begin(), homes.end(), [&](const auto& h) { return h.first == p.home; });
    if (it == homes.end()) it = homes.insert(homes.end(), {p.home, {}});
    it->second.push_back(std::move(p.done));
    if (it->second.size() == kCompletionsPerPost) {  // one task stays short on its thread
      it->first->Post([dones = std::move(it->second), s, written_ns] {
        for (const auto& done : dones) {
          probe::Record(probe::kPost, written_ns, probe::Now());
          done(s);
        }
      });
      it->second.clear();
    }
  }
  for (auto& [home, dones] : homes) {
    if (dones.empty()) continue;
    home->Post([dones = std::move(dones), s, written_ns] {
      for (const auto& done : dones) {
        probe::Record(probe::kPost, written_ns, probe::Now());
        done(s);
      }
    });
  }
}

void EmbeddedVoteLog::AppendSeal(SealMarker seal, AppendDone done) {
  Enqueue({kAllPartitions,
           codec::EncodeSealRecord(seal),
           {},
           std::move(done),
           nullptr,
           0,
           {},
           {},
           false});
}

void EmbeddedVoteLog::Enqueue(Pending p) {
  {
    MutexLock lock(mu_);
    if (!stopping_) {
      queue_.push_back(std::move(p));
      if (queue_.size() == 1) work_cv_.NotifyOne();
      return;
    }
  }
  Complete(p, Status(Code::kUnavailable, "server is shutting down"), p.vote_id);
}

void EmbeddedVoteLog::EnqueueAll(std::vector<Pending> ps) {
  {
    MutexLock lock(mu_);
    if (!stopping_) {
      const bool was_empty = queue_.empty();
      for (auto& p : ps) queue_.push_back(std::move(p));
      if (was_empty) work_cv_.NotifyOne();
      return;
    }
  }
  Status s(Code::kUnavailable, "server is shutting down");
  for (auto& p : ps) Complete(p, s, p.vote_id);
}

void EmbeddedVoteLog::Drain() {
  MutexLock lock(mu_);
  stopping_ = true;
  work_cv_.NotifyAll();
  while (!queue_.empty() || busy_) idle_cv_.Wait(mu_);
}

void EmbeddedVoteLog::Run() {
  std::vector<Pending> batch;
  for (;;) {
    {
      MutexLock lock(mu_);
      busy_ = false;
      if (queue_.empty()) idle_cv_.NotifyAll();
      while (queue_.empty() && !stopping_) work_cv_.Wait(mu_);
      if (queue_.empty()) {
        idle_cv_.NotifyAll();
        return;
      }
      if (queue_.size() <= max_batch_) {
        batch.swap(queue_);
      } else {
        batch.assign(std::make_move_iterator(queue_.begin()),
                     std::make_move_iterator(queue_.begin() + max_batch_));
        queue_.erase(queue_.begin(), queue_.begin() + max_batch_);
      }
      busy_ = true;
    }
    probe_taken_ = probe::Now();
    WriteBatchOf(batch);
    batch.clear();
  }
}

void EmbeddedVoteLog::WriteBatchOf(std::vector<Pending>& batch) {
  auto lease = db_.Use();
  if (!lease.ok()) {
    Fail(batch, lease.status().message());
    return;
  }
  if (lease.generation() != generation_) FindEnds(lease.generation());
  if (auto s = ResolveKeys(batch); !s.ok()) {
    Fail(batch, s.message());
    return;
  }
  rocksdb::WriteBatch& wb = *wb_;  // reused: its buffer keeps its size (no regrowth per write)
  wb.Clear();
  std::vector<uint64_t> before = next_;
  added_.clear();
  size_t appended = 0;
  for (auto& p : batch) {
    if (p.partition == kResolved) continue;
    ++appended;
    if (p.partition == kAllPartitions) {
      for (uint32_t part = 0; part < db_.partitions(); ++part) {
        wb.Put(db_.log(), LogKey(part, next_[part]++), p.record);
      }
      continue;
    }
    // One key per vote: its pending receipt is the entry itself (EmbeddedLedger::FindReceipt).
    added_.push_back({TailIndex::Hash(p.vote_id), p.partition, next_[p.partition]});
    wb.Put(db_.log(), LogKey(p.partition, next_[p.partition]++), p.record);
    if (!p.key.empty()) {
      wb.Put(db_.db()->DefaultColumnFamily(), std::string(kRefPrefix) + p.key,
             RefValue(p.vote_id, p.fingerprint));
    }
  }
  rocksdb::WriteOptions w;
  w.sync = true;      // G1: acknowledged only once fsync'd
  rocksdb::Status s;  // ok
  if (probe::Enabled()) {
    rocksdb::get_perf_context()->Reset();
    rocksdb::get_iostats_context()->Reset();
  }
  if (appended > 0) s = db_.db()->Write(w, &wb);
  const int64_t written_ns = probe::Now();
  if (probe::Enabled() && appended > 0) {
    probe::RecordValue(probe::kBatchFsync,
                       static_cast<int64_t>(rocksdb::get_iostats_context()->fsync_nanos / 1000));
    probe::RecordValue(probe::kBatchWal,
                       static_cast<int64_t>(rocksdb::get_perf_context()->write_wal_time / 1000));
    probe::RecordValue(probe::kBatchVotes, static_cast<int64_t>(appended));
    probe::Record(probe::kBatchTotal, probe_taken_, written_ns);
    const auto* pc = rocksdb::get_perf_context();
    probe::RecordValue(probe::kBatchWait, static_cast<int64_t>(pc->write_thread_wait_nanos / 1000));
    probe::RecordValue(probe::kBatchMemtable, static_cast<int64_t>(pc->write_memtable_time / 1000));
    for (const auto& p : batch) {
      probe::Record(probe::kHandle, p.probe_read, p.probe_append);
      probe::Record(probe::kQueued, p.probe_append, probe_taken_);
      probe::Record(probe::kWrite, probe_taken_, written_ns);
    }
  }
  Status result = Status::Ok();
  if (appended == 0) {
    // Every vote was in the log already: nothing to write.
  } else if (s.ok()) {
    batches_.fetch_add(1, std::memory_order_relaxed);
    votes_.fetch_add(appended, std::memory_order_relaxed);
    tail_.Add(added_);  // before the 202s: a voter's first receipt look-up finds the vote
    {
      MutexLock lock(end_mu_);
      durable_end_ = next_;
    }
    end_cv_.NotifyAll();
  } else {
    next_ = before;  // nothing of the batch is readable (a reopen may bring it back: FindEnds)
    db_.ReportWriteError("vote log write failed: " + s.ToString());
    Fail(batch, s.ToString());
    return;
  }
  CompleteAll(batch, result, written_ns);
}

Status EmbeddedVoteLog::ResolveKeys(std::vector<Pending>& batch) {
  std::vector<std::string> keys;
  std::vector<size_t> at;                              // batch index of each key
  std::unordered_map<std::string_view, size_t> first;  // key -> batch index of its first vote
  for (size_t i = 0; i < batch.size(); ++i) {
    Pending& p = batch[i];
    if (p.key.empty()) continue;
    auto [it, fresh] = first.try_emplace(p.key, i);
    if (!fresh) {  // the same key earlier in this write: the same vote, or a conflict
      p.partition = kResolved;
      p.conflict = !SameContent(batch[it->second].fingerprint, p.fingerprint);
      p.vote_id = batch[it->second].vote_id;
      continue;
    }
    keys.push_back(std::string(kRefPrefix) + p.key);
    at.push_back(i);
  }
  if (keys.empty()) return Status::Ok();
  std::vector<std::string> values;
  auto got = MultiGetRefs(keys, values);
  for (size_t k = 0; k < keys.size(); ++k) {
    Pending& p = batch[at[k]];
    if (got[k].IsNotFound()) continue;
    if (!got[k].ok()) return Status(Code::kUnavailable, got[k].ToString());
    GatewayRef stored = ParseRefValue(values[k]);
    p.partition = kResolved;  // appended by an earlier write: answer with that vote
    p.conflict = !SameContent(stored.fingerprint, p.fingerprint);
    p.vote_id = std::move(stored.vote_id);
    p.fingerprint = std::move(stored.fingerprint);  // what a repeat of the key compares with
  }
  // A repeat resolved to a first vote that was itself found takes the stored id and compares
  // with the stored fingerprint.
  for (size_t i = 0; i < batch.size(); ++i) {
    Pending& p = batch[i];
    if (p.partition != kResolved || p.key.empty()) continue;
    auto it = first.find(p.key);
    if (it == first.end() || it->second == i) continue;
    const Pending& f = batch[it->second];
    if (f.partition != kResolved) continue;  // its first vote is appended now: compared above
    p.vote_id = f.vote_id;
    p.conflict = !SameContent(f.fingerprint, p.fingerprint);
  }
  return Status::Ok();
}

std::vector<rocksdb::Status> EmbeddedVoteLog::MultiGetRefs(const std::vector<std::string>& keys,
                                                           std::vector<std::string>& values) {
  // The per-key MultiGet: each key's bloom filters first. (The batched MultiGet of one column
  // family sorts the keys first: for a batch of new refs that sort cost more than it saved.)
  std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
  std::vector<rocksdb::ColumnFamilyHandle*> cfs(keys.size(), db_.db()->DefaultColumnFamily());
  return db_.db()->MultiGet(rocksdb::ReadOptions(), cfs, slices, &values);
}

Result<std::vector<GatewayRef>> EmbeddedVoteLog::Find(const std::vector<std::string>& keys) {
  std::vector<GatewayRef> out(keys.size());
  if (keys.empty()) return out;
  auto lease = db_.Use();
  if (!lease.ok()) return lease.status();
  std::vector<std::string> full;
  full.reserve(keys.size());
  for (const auto& k : keys) full.push_back(std::string(kRefPrefix) + k);
  std::vector<std::string> values;
  auto got = MultiGetRefs(full, values);
  for (size_t k = 0; k < keys.size(); ++k) {
    if (got[k].IsNotFound()) continue;
    if (!got[k].ok()) return Status(Code::kUnavailable, got[k].ToString());
    out[k] = ParseRefValue(values[k]);
  }
  return out;
}

void EmbeddedVoteLog::Fail(std::vector<Pending>& batch, const std::string& why) {
  failures_.fetch_add(batch.size(), std::memory_order_relaxed);
  auto now = std::chrono::steady_clock::now();
  if (now - last_error_log_ >= std::chrono::seconds(1)) {  // at most one line a second
    spdlog::error("vote log write failed ({} votes answered 503): {}", batch.size(), why);
    last_error_log_ = now;
  }
  // The details (file names, errno) are for the log and /healthz, not for every voter.
  Status result(Code::kUnavailable, "storage is failing, the vote was not recorded; retry later");
  CompleteAll(batch, result);
}

Result<std::vector<LogEntry>> EmbeddedVoteLog::Read(uint32_t partition, uint64_t from, size_t max,
                                                    std::chrono::milliseconds wait) {
  uint64_t end;
  {
    auto deadline = std::chrono::steady_clock::now() + wait;
    MutexLock lock(end_mu_);
    while (durable_end_[partition] <= from && end_cv_.WaitUntil(end_mu_, deadline)) {
    }
    end = durable_end_[partition];
  }
  std::vector<LogEntry> out;
  if (end <= from) return out;
  auto lease = db_.Use();
  if (!lease.ok()) return lease.status();
  uint64_t stop = std::min<uint64_t>(end, from + max);
  out.reserve(stop - from);
  rocksdb::ReadOptions ro;
  std::string upper = LogKey(partition, stop);
  rocksdb::Slice upper_slice(upper);
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_.db()->NewIterator(ro, db_.log()));
  for (it->Seek(LogKey(partition, from)); it->Valid(); it->Next()) {
    auto rec = codec::DecodeLogRecord(it->value().ToStringView());
    if (!rec.ok()) return rec.status();
    LogEntry e{partition, GetU64(it->key().ToStringView().substr(4)), {}, std::move(rec->seal)};
    if (rec->vote) e.vote = std::move(*rec->vote);
    out.push_back(std::move(e));
  }
  if (!it->status().ok()) return Status(Code::kUnavailable, it->status().ToString());
  return out;
}

GroupCommitStats EmbeddedVoteLog::stats() const {
  return {batches_.load(), votes_.load(), failures_.load()};
}

uint64_t EmbeddedVoteLog::end_offset(uint32_t partition) const {
  MutexLock lock(end_mu_);
  return durable_end_[partition];
}

}  // namespace urna::embedded
