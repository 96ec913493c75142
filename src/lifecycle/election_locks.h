// ElectionLocks: one lock per election id, taken by every status change and admin change of that
// election in a lifecycle (FencedLifecycle), so two changes of one election never interleave
// while changes of different elections run side by side: a fenced close that waits seconds for
// a silent ingest node (up to the lease TTL or the close timeout) holds only its own election.
// Only the ids held (or waited for) have an entry, so memory is bounded by the changes in
// progress. A std::map per id of mutexes would do too, but entries must go when unused and the
// thread-safety analysis cannot follow a mutex looked up at run time: a set of held ids under
// one mutex and a condition variable says the same in a few lines.
// Owned by its lifecycle; thread-safe; Held blocks while another thread holds the same id.
#pragma once

#include <cstddef>
#include <set>
#include <string>
#include <string_view>

#include "sync/mutex.h"

namespace urna {

class ElectionLocks {
 public:
  // Holds `id`'s lock from construction (waiting for another holder) to destruction.
  class Held {
   public:
    Held(ElectionLocks& locks, std::string_view id) : locks_(locks), id_(id) {
      locks_.Acquire(id_);
    }
    ~Held() { locks_.Release(id_); }
    Held(const Held&) = delete;
    Held& operator=(const Held&) = delete;

   private:
    ElectionLocks& locks_;
    const std::string id_;
  };

  // Ids held now (tests).
  size_t size() const {
    MutexLock lock(mu_);
    return held_.size();
  }

 private:
  void Acquire(const std::string& id) {
    MutexLock lock(mu_);
    while (held_.contains(id)) cv_.Wait(mu_);
    held_.insert(id);
  }
  void Release(const std::string& id) {
    {
      MutexLock lock(mu_);
      held_.erase(id);
    }
    cv_.NotifyAll();  // waiters of other ids look again and wait on: few, and only on a change
  }

  mutable Mutex mu_;
  CondVar cv_;
  std::set<std::string, std::less<>> held_ GUARDED_BY(mu_);
};

}  // namespace urna
