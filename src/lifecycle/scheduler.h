// ElectionScheduler: opens and closes elections at their `opens_at` / `closes_at` (issue 12
// item 6) through the ElectionLifecycle, so a scheduled close is the same close + seal as
// POST .../close. It acts only on an election still in the status the time is for: a draft at
// opens_at, an open election at closes_at; an admin who opened or closed it by hand first wins.
// An election whose time passed while no scheduler ran (the server was down) is opened / closed
// by the first pass after start; a draft whose closes_at passed too is left a draft (it would
// take no vote; core OpenElection refuses to open it), to be edited or deleted, and logged.
// Distributed, every `urna ingest` node runs one: each sees the same catalog and calls the
// FencedLifecycle, whose concurrent opens and closes agree (the catalog's compare-and-set; closing
// a closed election only appends its seal again). Owned by the app; one thread ("urna-schedule")
// runs the transitions one at a time (they block: catalog writes, a durable seal, a fenced close up
// to its close_timeout). RunDue is public so unit tests can drive it with a fake clock;
// Start/Stop/Wake are thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "ports/catalog.h"
#include "ports/clock.h"
#include "ports/election_lifecycle.h"
#include "sync/mutex.h"

namespace urna {

struct SchedulerOptions {
  // The catalog is re-read at least this often, so an election created here or (distributed)
  // on another node is seen within it; a time due sooner is waited for exactly.
  std::chrono::milliseconds poll_interval{250};
  // After a failed open or close (storage down, a fenced close timed out) the next try waits so
  // long; the election stays due and the failure is logged.
  std::chrono::milliseconds retry_after{1000};
};

class ElectionScheduler {
 public:
  ElectionScheduler(Catalog& catalog, ElectionLifecycle& lifecycle, const Clock& clock,
                    SchedulerOptions options = {})
      : catalog_(catalog), lifecycle_(lifecycle), clock_(clock), options_(options) {}
  ~ElectionScheduler() { Stop(); }
  ElectionScheduler(const ElectionScheduler&) = delete;
  ElectionScheduler& operator=(const ElectionScheduler&) = delete;

  // Starts the thread; its first pass runs at once (catching up on times passed while down).
  void Start();
  // Stops the thread; waits for a transition in progress. Idempotent.
  void Stop();
  // Runs a pass now (e.g. after an election was created with a time a moment ahead).
  void Wake();

  // One pass: opens every draft whose opens_at has come, closes every open election whose
  // closes_at has come (on the calling thread). Returns the clock time of the next thing due
  // (a scheduled time or a retry), INT64_MAX when nothing is.
  int64_t RunDue();

  struct Stats {
    uint64_t opened = 0;
    uint64_t closed = 0;
    uint64_t failures = 0;
  };
  Stats stats() const {
    MutexLock lock(mu_);
    return stats_;
  }

 private:
  void Loop();
  // Runs one transition; false (and a retry time for `id`) on failure.
  bool Transition(const Election& e, bool open, int64_t now) REQUIRES(pass_mu_);

  Catalog& catalog_;
  ElectionLifecycle& lifecycle_;
  const Clock& clock_;
  const SchedulerOptions options_;
  mutable Mutex mu_;
  CondVar cv_;
  bool stop_ GUARDED_BY(mu_) = false;
  bool woken_ GUARDED_BY(mu_) = false;
  Stats stats_ GUARDED_BY(mu_);
  // Used by the pass only (RunDue runs on one thread at a time).
  Mutex pass_mu_;
  std::map<std::string, int64_t, std::less<>> retry_at_ GUARDED_BY(pass_mu_);
  // Closes this scheduler completed: a catalog cache that still says open (distributed: it
  // refreshes behind another node's write) is not closed again by this node.
  std::set<std::string, std::less<>> closed_ GUARDED_BY(pass_mu_);
  // Drafts whose window passed unopened, logged once.
  std::set<std::string, std::less<>> missed_ GUARDED_BY(pass_mu_);
  std::thread thread_;
};

}  // namespace urna
