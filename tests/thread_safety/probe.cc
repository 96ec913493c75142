// Thread-safety probes (tests/thread_safety/CMakeLists.txt), compiled with clang's analysis as
// errors. Without PROBE_CASE the code locks correctly with every type of sync/mutex.h and must
// compile cleanly; each PROBE_CASE adds one mistake the analysis must refuse.
#include <chrono>

#include "sync/mutex.h"

namespace {

class Counter {
 public:
  void Add(int n) {
    urna::MutexLock lock(mu_);
    value_ += n;
    cv_.NotifyAll();
  }
  int WaitAtLeast(int n) {
    urna::MutexLock lock(mu_);
    while (value_ < n) cv_.Wait(mu_);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(1);
    while (value_ < 2 * n && cv_.WaitUntil(mu_, deadline)) {
    }
    lock.Unlock();
    lock.Lock();
    return Locked();
  }
  int Snapshot() {
    urna::ReaderLock lock(table_mu_);
    return table_;
  }
  void Store(int v) {
    urna::WriterLock lock(table_mu_);
    table_ = v;
  }
  bool TryStore(int v) {
    if (!table_mu_.TryLockFor(std::chrono::milliseconds(1))) return false;
    table_ = v;
    table_mu_.Unlock();
    return true;
  }

#if PROBE_CASE == 1  // a guarded member written without its mutex
  void Bad() { value_ = 0; }
#elif PROBE_CASE == 2  // a REQUIRES function called without the mutex
  int Bad() { return Locked(); }
#elif PROBE_CASE == 3  // written under a reader lock
  void Bad() {
    urna::ReaderLock lock(table_mu_);
    table_ = 0;
  }
#elif PROBE_CASE == 4  // used after the scoped lock let go of it
  void Bad() {
    urna::MutexLock lock(mu_);
    lock.Unlock();
    value_ = 1;
  }
#elif PROBE_CASE == 5  // waited on without holding the mutex
  void Bad() { cv_.Wait(mu_); }
#endif

 private:
  int Locked() REQUIRES(mu_) { return value_; }

  urna::Mutex mu_;
  urna::CondVar cv_;
  int value_ GUARDED_BY(mu_) = 0;
  urna::SharedMutex table_mu_;
  int table_ GUARDED_BY(table_mu_) = 0;
};

}  // namespace

int main() {
  Counter c;
  c.Add(1);
  c.Store(c.Snapshot() + c.WaitAtLeast(1));
  return c.TryStore(3) ? 0 : 1;
}
