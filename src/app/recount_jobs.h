// RecountJobs: runs recounts in the background, one thread per running job, at most one job
// per election at a time, and keeps each election's last result for the audit routes.
// Owned by the Api; thread-safe. The destructor waits for running jobs.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "audit/recount.h"
#include "sync/mutex.h"

namespace urna::app {

class RecountJobs {
 public:
  struct View {
    bool running = false;
    int phase = 0;
    uint64_t done = 0, total = 0;
    std::optional<RecountReport> report;  // set when finished without error
    Status error;                         // set when finished with an error
  };

  explicit RecountJobs(RecountDeps deps) : deps_(std::move(deps)) {}
  ~RecountJobs();

  // Starts a recount of `election` unless one is running; returns the job as it stands.
  View Start(const std::string& election);
  // The current or last job of `election`, if any.
  std::optional<View> Get(const std::string& election);
  // Asks running jobs to stop and waits for them (shutdown).
  void CancelAll();

 private:
  struct Job {
    RecountProgress progress;
    std::thread thread;
    bool running = true;  // guarded by mu_
    std::optional<Result<RecountReport>> result;
  };
  View ViewOf(const Job& job) REQUIRES(mu_);

  RecountDeps deps_;
  Mutex mu_;
  std::map<std::string, std::shared_ptr<Job>> jobs_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;  // set by CancelAll: no new jobs
};

}  // namespace urna::app
