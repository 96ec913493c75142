#include "adapters/embedded/storage_health.h"

#include <rocksdb/listener.h>
#include <spdlog/spdlog.h>

#include <chrono>

namespace urna::embedded {
namespace {

const char* ReasonName(rocksdb::BackgroundErrorReason r) {
  switch (r) {
    case rocksdb::BackgroundErrorReason::kFlush:
      return "flush";
    case rocksdb::BackgroundErrorReason::kCompaction:
      return "compaction";
    case rocksdb::BackgroundErrorReason::kWriteCallback:
      return "write";
    case rocksdb::BackgroundErrorReason::kMemTable:
      return "memtable switch";
    case rocksdb::BackgroundErrorReason::kManifestWrite:
      return "manifest write";
    case rocksdb::BackgroundErrorReason::kFlushNoWAL:
      return "flush";
    case rocksdb::BackgroundErrorReason::kManifestWriteNoWAL:
      return "manifest write";
  }
  return "background work";
}

// Runs on RocksDB's threads (flush, compaction, writers) with the DB mutex held: records and
// returns, never blocks.
class Listener final : public rocksdb::EventListener {
 public:
  explicit Listener(StorageHealth& health) : health_(health) {}

  void OnBackgroundError(rocksdb::BackgroundErrorReason reason, rocksdb::Status* error) override {
    if (error == nullptr || error->ok()) return;
    bool fatal = error->severity() > rocksdb::Status::Severity::kHardError;
    health_.Fail(std::string("storage error in ") + ReasonName(reason) + ": " + error->ToString(),
                 fatal);
  }

  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason, rocksdb::Status,
                            bool* auto_recovery) override {
    if (auto_recovery != nullptr) *auto_recovery = false;  // EmbeddedDb recovers instead
  }

 private:
  StorageHealth& health_;
};

}  // namespace

void StorageHealth::Fail(const std::string& problem, bool fatal) {
  {
    MutexLock lock(mu_);
    ++failures_;
    if (healthy_.load(std::memory_order_relaxed) || fatal) problem_ = problem;
    fatal_ = fatal_ || fatal;
    healthy_.store(false, std::memory_order_release);
  }
  cv_.NotifyAll();
}

void StorageHealth::Explain(const std::string& problem) {
  MutexLock lock(mu_);
  if (!healthy_.load(std::memory_order_relaxed)) problem_ = problem;
}

bool StorageHealth::Recovered(uint64_t failures_before) {
  MutexLock lock(mu_);
  if (healthy_.load(std::memory_order_relaxed)) return true;
  if (failures_ != failures_before) return false;
  ++recoveries_;
  problem_.clear();
  fatal_ = false;
  healthy_.store(true, std::memory_order_release);
  return true;
}

StorageHealth::View StorageHealth::view() const {
  MutexLock lock(mu_);
  return {healthy_.load(std::memory_order_relaxed), problem_, fatal_, failures_, recoveries_};
}

void StorageHealth::WaitForFailure(const std::atomic<bool>& stop, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  MutexLock lock(mu_);
  while (healthy_.load(std::memory_order_relaxed) && !stop.load() && cv_.WaitUntil(mu_, deadline)) {
  }
}

void StorageHealth::Wake() {
  { MutexLock lock(mu_); }
  cv_.NotifyAll();
}

std::shared_ptr<rocksdb::EventListener> StorageHealth::MakeListener() {
  return std::make_shared<Listener>(*this);
}

}  // namespace urna::embedded
