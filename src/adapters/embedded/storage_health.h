// StorageHealth: whether the embedded database can take writes, and why not. RocksDB reports
// background errors (a WAL it cannot create, a flush that hits a full disk, ...) to
// StorageHealth::Listener; EmbeddedDb's recovery thread reads the state, repairs the database and
// marks it healthy again. /healthz and /metrics read it. Owned by EmbeddedDb; thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "sync/mutex.h"

namespace rocksdb {
class EventListener;
}

namespace urna::embedded {

class StorageHealth {
 public:
  struct View {
    bool healthy = true;
    std::string problem;    // empty when healthy
    bool fatal = false;     // RocksDB cannot Resume() from it: the database must be reopened
    uint64_t failures = 0;  // background errors reported since start
    uint64_t recoveries = 0;
  };

  // Records a failure; `fatal` when only a reopen can clear it. Wakes the recovery thread.
  void Fail(const std::string& problem, bool fatal);
  // Replaces the reason of a current failure (e.g. "still 3 MiB free, need 64").
  void Explain(const std::string& problem);
  // Marks the storage healthy again and counts a recovery, unless a failure was reported since
  // view().failures was `failures_before` (then the caller tries again). True when marked.
  bool Recovered(uint64_t failures_before);
  bool healthy() const { return healthy_.load(std::memory_order_acquire); }
  View view() const;
  // Waits until the storage is failing, `stop` is set, or `timeout_ms` passes.
  void WaitForFailure(const std::atomic<bool>& stop, int timeout_ms);
  void Wake();

  // The RocksDB listener that feeds this state. It turns RocksDB's own auto-recovery off, so
  // one recovery path (EmbeddedDb's) with one free-space threshold applies to every error.
  std::shared_ptr<rocksdb::EventListener> MakeListener();

 private:
  std::atomic<bool> healthy_{true};  // written with mu_ held, read without
  mutable Mutex mu_;
  CondVar cv_;
  std::string problem_ GUARDED_BY(mu_);
  bool fatal_ GUARDED_BY(mu_) = false;
  uint64_t failures_ GUARDED_BY(mu_) = 0;
  uint64_t recoveries_ GUARDED_BY(mu_) = 0;
};

}  // namespace urna::embedded
