// AdmissionGate: orders votes against an election's close. Every vote holds the gate shared from
// its admission check until its append is queued on the log; a close holds it exclusively while
// it marks the election closing (LocalLifecycle), so the seal it queues afterwards is behind
// every vote admitted before, and a vote after it is refused at the door.
// A pthread reader-writer lock that prefers the writer: std::shared_mutex cannot ask for that,
// and a reader-preferring lock could keep a close waiting for as long as votes keep coming.
// Owned by the LocalLifecycle (its VoteAdmission tickets hold the shared side); thread-safe; the
// shared side is held for microseconds.
#pragma once

#include <pthread.h>

namespace urna {

class AdmissionGate {
 public:
  AdmissionGate() {
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&lock_, &attr);
    pthread_rwlockattr_destroy(&attr);
  }
  ~AdmissionGate() { pthread_rwlock_destroy(&lock_); }
  AdmissionGate(const AdmissionGate&) = delete;
  AdmissionGate& operator=(const AdmissionGate&) = delete;

  // SharedLockable and Lockable: a vote holds std::shared_lock<AdmissionGate> from its admission
  // check until its append is queued; a close holds std::unique_lock<AdmissionGate>, which waits
  // for the votes in between and holds new ones back.
  void lock_shared() { pthread_rwlock_rdlock(&lock_); }
  void unlock_shared() { pthread_rwlock_unlock(&lock_); }
  void lock() { pthread_rwlock_wrlock(&lock_); }
  void unlock() { pthread_rwlock_unlock(&lock_); }

 private:
  pthread_rwlock_t lock_;
};

}  // namespace urna
