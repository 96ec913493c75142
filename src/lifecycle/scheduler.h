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
// lists the catalog and starts each due election's action on a thread of its own
// ("urna-sched-act", at most max_parallel at once), since a transition blocks (catalog writes, a
// durable seal, a fenced close up to its close_timeout) and must not delay another election's;
// one election has at most one action at a time. RunDue is public so unit tests can drive it
// with a fake clock; Start/Stop/Wake are thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
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
  // Due actions running at once at most, each on a thread of its own while it runs (one per
  // election): a fenced close waiting for a silent node delays no other election's open or
  // close, and a burst of elections due at one time starts at most this many threads and
  // concurrent store calls (a fenced close polls the lease table every 200 ms). The others wait
  // for a free place, earliest first. Fixed (no flag), on purpose: only a fenced close waits
  // (for a silent node's lease, seconds), and 8 of them at once on one node is already a fault
  // of several nodes; a burst of due opens is short store calls that queue for milliseconds.
  // docs/operations.md says so.
  size_t max_parallel = 8;
};

class ElectionScheduler {
 public:
  ElectionScheduler(Catalog& catalog, ElectionLifecycle& lifecycle, const Clock& clock,
                    SchedulerOptions options = {})
      : catalog_(catalog), lifecycle_(lifecycle), clock_(clock), options_(options) {
    if (options_.max_parallel == 0) options_.max_parallel = 1;
  }
  ~ElectionScheduler() { Stop(); }
  ElectionScheduler(const ElectionScheduler&) = delete;
  ElectionScheduler& operator=(const ElectionScheduler&) = delete;

  // Starts the thread; its first pass runs at once (catching up on times passed while down).
  void Start();
  // Stops the thread; waits for the actions in progress. Idempotent.
  void Stop();
  // Runs a pass now (e.g. after an election was created with a time a moment ahead).
  void Wake();

  // One whole pass: opens every draft whose opens_at has come, closes every open election whose
  // closes_at has come, and returns once they are done (each election's action on a thread of
  // its own, at most max_parallel at once). Returns the clock time of the next thing due (a
  // scheduled time or a retry), INT64_MAX when nothing is. For the pass before a server listens
  // and for unit tests; not while Start()ed.
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
  // One election's action in progress, on its own thread.
  struct Action {
    std::thread thread;
    bool done = false;
  };

  void Loop();
  // Lists the catalog and starts the due actions of elections that have none running, earliest
  // first, while fewer than max_parallel run (`*capped` says whether one had to wait). Returns
  // the earliest time due of those not due yet, INT64_MAX when none.
  int64_t StartDue(bool* capped) EXCLUDES(mu_);
  // The body of an action (its own thread): the open of a draft (then its close, when its
  // closes_at passed too) or the close of an open election.
  void Act(std::shared_ptr<const Election> e, bool open);
  // Runs one transition and records how it went; false (and a retry time for `e`) on failure.
  bool Transition(const Election& e, bool open) EXCLUDES(mu_);
  // Joins the actions that are done and forgets them.
  void JoinDone() REQUIRES(mu_);

  Catalog& catalog_;
  ElectionLifecycle& lifecycle_;
  const Clock& clock_;
  SchedulerOptions options_;
  mutable Mutex mu_;
  CondVar cv_;  // an action done, Wake, Stop
  bool stop_ GUARDED_BY(mu_) = false;
  bool woken_ GUARDED_BY(mu_) = false;
  Stats stats_ GUARDED_BY(mu_);
  std::map<std::string, int64_t, std::less<>> retry_at_ GUARDED_BY(mu_);
  // Closes this scheduler completed: a catalog cache that still says open (distributed: it
  // refreshes behind another node's write) is not closed again by this node.
  std::set<std::string, std::less<>> closed_ GUARDED_BY(mu_);
  // Drafts whose window passed unopened, logged once.
  std::set<std::string, std::less<>> missed_ GUARDED_BY(mu_);
  std::map<std::string, std::unique_ptr<Action>, std::less<>> running_ GUARDED_BY(mu_);
  // The earliest time due the actions left behind (an opened election's closes_at, a retry):
  // what RunDue adds to the listing's.
  int64_t next_from_actions_ GUARDED_BY(mu_) = std::numeric_limits<int64_t>::max();
  Mutex pass_mu_;  // one listing pass at a time
  std::thread thread_;
};

}  // namespace urna
