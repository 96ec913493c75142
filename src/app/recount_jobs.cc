#include "app/recount_jobs.h"

#include <spdlog/spdlog.h>

namespace urna::app {

RecountJobs::~RecountJobs() { CancelAll(); }

void RecountJobs::CancelAll() {
  std::map<std::string, std::shared_ptr<Job>> jobs;
  {
    MutexLock lock(mu_);
    stopping_ = true;
    jobs = jobs_;
  }
  for (auto& [id, job] : jobs) job->progress.cancel = true;
  for (auto& [id, job] : jobs) {
    if (job->thread.joinable()) job->thread.join();
  }
}

RecountJobs::View RecountJobs::ViewOf(const Job& job) {
  View v;
  v.running = job.running;
  v.phase = job.progress.phase;
  v.done = job.progress.done;
  v.total = job.progress.total;
  if (!job.running && job.result) {
    if (job.result->ok()) {
      v.report = job.result->value();
    } else {
      v.error = job.result->status();
    }
  }
  return v;
}

RecountJobs::View RecountJobs::Start(const std::string& election) {
  MutexLock lock(mu_);
  if (stopping_) {
    View v;
    v.error = Status(Code::kUnavailable, "server is shutting down");
    return v;
  }
  auto& slot = jobs_[election];
  if (slot && slot->running) return ViewOf(*slot);
  if (slot && slot->thread.joinable()) slot->thread.join();  // the previous job has ended
  slot = std::make_shared<Job>();
  auto job = slot;
  job->thread = std::thread([this, job, election] {
    pthread_setname_np(pthread_self(), "urna-recount");
    spdlog::info("recount of {} started", election);
    Recounter recounter(deps_);
    auto r = recounter.Run(election, job->progress, std::chrono::minutes(10));
    if (r.ok()) {
      spdlog::info("recount of {}: {} ({} votes counted, digest {})", election,
                   r->agree ? "agrees, final" : "DISAGREES, not final", r->counted,
                   r->ledger_digest);
    } else {
      spdlog::error("recount of {} failed: {}", election, r.status().message());
    }
    MutexLock lock(mu_);
    job->result = std::move(r);
    job->running = false;
  });
  return ViewOf(*job);
}

std::optional<RecountJobs::View> RecountJobs::Get(const std::string& election) {
  MutexLock lock(mu_);
  auto it = jobs_.find(election);
  if (it == jobs_.end()) return std::nullopt;
  return ViewOf(*it->second);
}

}  // namespace urna::app
