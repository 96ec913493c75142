#include "adapters/embedded/db.h"

#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <utility>
#include <vector>

#include "adapters/embedded/data_dir.h"
#include "adapters/embedded/rocksdb_info_log.h"

namespace urna::embedded {
namespace {

constexpr const char* kCfNames[] = {"default", "log",     "receipts", "ledger",
                                    "tallies", "offsets", "catalog"};

rocksdb::ColumnFamilyOptions CfOptions(std::string_view name) {
  rocksdb::ColumnFamilyOptions o;
  // default: the gateway refs ("gwref/" keys, rocksdb_vote_log.cc) are looked up for every vote
  // of a batch, twice (ingest's look-up, then the appender's), and nearly all miss (a new ref).
  // Whole-key filters only (no prefix extractor: the default column family's scans stay total
  // order). Options, not the format: a data dir written without them opens as before, its
  // existing tables are read without a filter and new ones get one.
  if (name == "ledger" || name == "receipts" || name == "default") {
    // Point lookups (is this voter counted? what became of this vote?) dominate: bloom filters.
    rocksdb::BlockBasedTableOptions t;
    t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
    // Most lookups miss (a voter's first vote): a memtable bloom filter answers them without
    // walking the skiplist.
    o.memtable_whole_key_filtering = true;
    o.memtable_prefix_bloom_size_ratio = 0.05;
  }
  if (name == "ledger") {
    // The processor puts a batch's ledger rows in key order (EmbeddedProcessorState::Commit);
    // one insert hint for the whole column family (an empty prefix) lets each row's skiplist
    // insert start from where the previous one ended instead of from the top.
    o.memtable_insert_with_hint_prefix_extractor.reset(rocksdb::NewCappedPrefixTransform(0));
  }
  if (name == "log") {
    // Each partition's keys are appended in order: a per-partition insert hint lets the
    // memtable skip the search from the top of the skiplist for every new entry.
    o.memtable_insert_with_hint_prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(4));
  }
  return o;
}

}  // namespace

Result<std::unique_ptr<EmbeddedDb>> EmbeddedDb::Open(const std::string& dir, uint32_t partitions,
                                                     DbOptions options) {
  if (auto s = PrepareDataDir(dir); !s.ok()) return s;
  // Checked before RocksDB opens: on a full disk its open fails half-way and then aborts the
  // process on an assertion (a file writer used again after an error).
  if (auto s = CheckFreeDisk(dir, options.min_free_bytes); !s.ok()) {
    return Status(s.code(), "cannot open data dir " + dir + ": " + s.message());
  }
  std::unique_ptr<EmbeddedDb> e(new EmbeddedDb(dir, options));
  {
    WriterLock lock(e->mu_);  // no other thread yet: taken for the analysis, never waits
    if (auto s = e->OpenRocks(); !s.ok()) return s;
    std::string v;
    auto s = e->db_->Get(rocksdb::ReadOptions(), "partitions", &v);
    if (s.ok() && v.size() == 4) {
      e->partitions_ = GetU32(v);
    } else if (s.IsNotFound()) {
      std::string p;
      PutU32(p, partitions);
      rocksdb::WriteOptions w;
      w.sync = true;
      s = e->db_->Put(w, "partitions", p);
      if (!s.ok()) return Status(Code::kUnavailable, "cannot initialise data dir: " + s.ToString());
      e->partitions_ = partitions;
    } else {
      return Status(Code::kInternal, "data dir has a bad partition count: " + s.ToString());
    }
  }
  // Routine after `urna recount`/`audit` (they run without urna serve's umask) or an upgrade;
  // the directory itself is 0700 already, so this is housekeeping: debug level.
  if (int n = TightenDataFiles(dir); n > 0) {
    spdlog::debug("data dir {}: {} files other users could read narrowed to 0600", dir, n);
  }
  e->supervisor_ = std::thread([raw = e.get()] {
    pthread_setname_np(pthread_self(), "urna-storage");
    raw->Supervise();
  });
  return e;
}

Status EmbeddedDb::OpenRocks() {
  rocksdb::DBOptions opts;
  opts.create_if_missing = true;
  opts.create_missing_column_families = true;
  opts.IncreaseParallelism(2);
  opts.recycle_log_file_num = 4;
  auto info_log = OpenRocksLog(dir_);
  if (!info_log.ok()) return info_log.status();
  opts.info_log = *info_log;
  if (!listener_) listener_ = health_.MakeListener();
  opts.listeners.push_back(listener_);
  // RocksDB's own retries (for errors its file system marks retryable) would race ours.
  opts.max_bgerror_resume_count = 0;
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  for (const char* n : kCfNames) {
    cfs.emplace_back(n, CfOptions(n));
    if (options_.write_buffer_bytes > 0) {
      cfs.back().options.write_buffer_size = options_.write_buffer_bytes;
    }
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  auto s = rocksdb::DB::Open(opts, dir_, cfs, &handles, &db);
  if (!s.ok()) {
    return Status(Code::kUnavailable, "cannot open data dir " + dir_ + ": " + s.ToString());
  }
  db_ = db;
  for (size_t i = 0; i < handles.size(); ++i) cf_[i] = handles[i];
  return Status::Ok();
}

void EmbeddedDb::CloseRocks() {
  if (db_ == nullptr) return;
  for (auto*& h : cf_) {
    if (h != nullptr) db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
    h = nullptr;
  }
  db_->Close().PermitUncheckedError();  // after a fatal error Close reports it again
  delete db_;
  db_ = nullptr;
}

EmbeddedDb::~EmbeddedDb() {
  stop_ = true;
  health_.Wake();
  if (supervisor_.joinable()) supervisor_.join();
  WriterLock lock(mu_);
  CloseRocks();
}

EmbeddedDb::Lease EmbeddedDb::Use() const {
  Lease l;
  if (reopening_.load(std::memory_order_acquire)) {
    l.status_ = Status(Code::kUnavailable, "storage is failing and being reopened (" +
                                               health_.view().problem + "); retry");
    return l;
  }
  mu_.LockShared();
  if (db_ == nullptr) {
    l.status_ = Status(Code::kUnavailable, "storage is failing (" + closed_reason_ + "); retry");
    mu_.UnlockShared();
    return l;
  }
  l.held_ = &mu_;
  l.generation_ = generation_.load(std::memory_order_relaxed);
  return l;
}

void EmbeddedDb::Lease::Release() {
  if (held_ != nullptr) held_->UnlockShared();
  held_ = nullptr;
}

EmbeddedDb::Lease::Lease(Lease&& other) noexcept
    : held_(std::exchange(other.held_, nullptr)),
      status_(std::move(other.status_)),
      generation_(other.generation_) {}

EmbeddedDb::Lease& EmbeddedDb::Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    Release();
    held_ = std::exchange(other.held_, nullptr);
    status_ = std::move(other.status_);
    generation_ = other.generation_;
  }
  return *this;
}

void EmbeddedDb::ReportWriteError(const std::string& what) {
  if (health_.healthy()) health_.Fail(what, false);
}

void EmbeddedDb::Supervise() {
  int delay_ms = options_.retry_min_ms;
  std::string last_problem;
  auto last_log = std::chrono::steady_clock::time_point{};
  // Logs a changed problem, at most once per 10 s (free space changes with every poll).
  auto log = [&](const std::string& problem) {
    auto now = std::chrono::steady_clock::now();
    if (problem == last_problem || now - last_log < std::chrono::seconds(10)) return;
    spdlog::warn("storage still failing: {}", problem);
    last_problem = problem;
    last_log = now;
  };
  auto pause = [&](int ms) {
    for (int waited = 0; waited < ms && !stop_; waited += 20) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  };
  while (!stop_) {
    health_.WaitForFailure(stop_, 1000);
    if (stop_) break;
    if (health_.healthy()) {
      delay_ms = options_.retry_min_ms;
      continue;
    }
    auto before = health_.view();
    if (last_problem.empty()) {
      spdlog::error("storage failing, recovering by itself once the cause is gone: {}",
                    before.problem);
      last_problem = before.problem;
      last_log = std::chrono::steady_clock::now();
    }
    // Waiting for free space is a cheap poll, not an attempt: no backoff, so votes resume
    // within a fraction of a second of the space coming back.
    if (auto s = CheckFreeDisk(dir_, options_.min_free_bytes); !s.ok()) {
      health_.Explain(s.message());
      log(s.message());
      pause(200);
      continue;
    }
    auto s = TryRecover(before.fatal);
    if (s.ok()) {
      if (health_.Recovered(before.failures)) {
        spdlog::info("storage recovered; votes are accepted again");
        last_problem.clear();
        delay_ms = options_.retry_min_ms;
      }
      continue;
    }
    health_.Explain(s.message());
    log(s.message());
    pause(delay_ms);
    delay_ms = std::min(delay_ms * 2, options_.retry_max_ms);
  }
}

// A tiny synced write: proves the database takes writes (and fsyncs) again.
Status EmbeddedDb::Probe() {
  rocksdb::WriteOptions w;
  w.sync = true;
  auto s = db_->Put(w, "probe", "ok");
  if (!s.ok()) return Status(Code::kUnavailable, "storage write still fails: " + s.ToString());
  return Status::Ok();
}

Status EmbeddedDb::TryRecover(bool fatal) {
  if (!fatal) {
    ReaderLock lock(mu_);
    if (db_ != nullptr) {
      auto resumed = db_->Resume();
      Status s = resumed.ok() ? Probe() : Status(Code::kUnavailable, resumed.ToString());
      if (s.ok()) return s;
      spdlog::warn("storage: resume failed ({}), reopening the database", s.message());
    }
  }
  reopening_.store(true, std::memory_order_release);
  if (!mu_.TryLockFor(std::chrono::seconds(10))) {
    reopening_.store(false, std::memory_order_release);
    return Status(Code::kUnavailable, "storage failing; waiting for long reads to end to reopen");
  }
  CloseRocks();
  auto s = OpenRocks();
  if (s.ok()) s = Probe();
  if (s.ok()) {
    generation_.fetch_add(1, std::memory_order_relaxed);
    TightenDataFiles(dir_);
  } else {
    CloseRocks();
    closed_reason_ = s.message();
  }
  reopening_.store(false, std::memory_order_release);
  mu_.Unlock();
  return s;
}

void PutU32(std::string& out, uint32_t v) {
  for (int i = 3; i >= 0; --i) out.push_back(static_cast<char>(v >> (8 * i)));
}
void PutU64(std::string& out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>(v >> (8 * i)));
}
uint32_t GetU32(std::string_view in) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}
uint64_t GetU64(std::string_view in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}
std::string LogKey(uint32_t partition, uint64_t offset) {
  std::string k;
  k.reserve(12);
  PutU32(k, partition);
  PutU64(k, offset);
  return k;
}
std::string VoterKeyBytes(std::string_view election_id, std::string_view voter_id) {
  // The voter's first ledger row (one layout, AppendLedgerRowKey's).
  std::string k;
  k.reserve(election_id.size() + voter_id.size() + 1);
  AppendLedgerRowKey(election_id, voter_id, 1, k);
  return k;
}

void AppendLedgerRowKey(std::string_view election_id, std::string_view voter_id, uint64_t ordinal,
                        std::string& out) {
  out.append(election_id);
  out.push_back('\0');
  out.append(voter_id);
  if (ordinal <= 1) return;
  out.push_back('\0');
  PutU64(out, ordinal);
}

std::string LedgerRowKey(std::string_view election_id, std::string_view voter_id,
                         uint64_t ordinal) {
  std::string k;
  k.reserve(election_id.size() + voter_id.size() + 10);
  AppendLedgerRowKey(election_id, voter_id, ordinal, k);
  return k;
}

}  // namespace urna::embedded
