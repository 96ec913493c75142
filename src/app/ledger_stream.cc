#include "app/ledger_stream.h"

#include <algorithm>

#include "app/json_util.h"
#include "audit/ledger_export.h"
#include "net/body_pipe.h"

namespace urna::app {
namespace {

constexpr size_t kPipeBytes = 128 * 1024;  // what waits for the client at most
constexpr size_t kBatchBytes = 32 * 1024;  // rows handed to the pipe at a time

}  // namespace

LedgerStreams::~LedgerStreams() { Stop(); }

void LedgerStreams::Stop() {
  std::vector<std::shared_ptr<Job>> jobs;
  cancelled_ = true;
  {
    MutexLock lock(mu_);
    stopping_ = true;
    jobs.swap(jobs_);
    for (auto& j : jobs) {
      if (j->pipe) j->pipe->Cancel();
    }
  }
  for (auto& j : jobs) j->thread.join();
}

void LedgerStreams::Reap() {
  auto finished = std::partition(jobs_.begin(), jobs_.end(), [](auto& j) { return !j->done; });
  for (auto it = finished; it != jobs_.end(); ++it) (*it)->thread.join();
  jobs_.erase(finished, jobs_.end());
}

void LedgerStreams::Start(Ledger& ledger, std::string audit_key, std::string election_id,
                          size_t buffer_rows, net::Responder respond) {
  MutexLock lock(mu_);
  Reap();
  if (stopping_ || jobs_.size() >= max_running_) {
    auto r = StatusResponse(
        Status(Code::kUnavailable, "too many ledger exports running; retry when one is done"));
    r.headers.emplace_back("Retry-After", "10");
    return respond(std::move(r));
  }
  auto job = std::make_shared<Job>();
  auto pipe = std::make_shared<net::BodyPipe>(kPipeBytes);
  job->thread =
      std::thread([this, job, pipe, &ledger, key = std::move(audit_key),
                   id = std::move(election_id), buffer_rows, respond = std::move(respond)] {
        pthread_setname_np(pthread_self(), "urna-export");
        LedgerExport exporter(key, buffer_rows);
        auto sum = exporter.Prepare(ledger, id, [this] { return cancelled_.load(); });
        bool answered = false;
        if (!sum.ok()) {
          respond(StatusResponse(sum.status()));
        } else {
          {
            MutexLock lock(mu_);
            if (!stopping_) job->pipe = pipe;
          }
          if (!job->pipe) {
            respond(StatusResponse(Status(Code::kUnavailable, "the server is shutting down")));
          } else {
            auto r = net::Response(200, "text/csv; charset=utf-8", "");
            r.headers.emplace_back("X-Ledger-Digest", "sha256=" + sum->digest_hex);
            r.headers.emplace_back("Content-Disposition",
                                   "attachment; filename=\"" + id + "-ledger.csv\"");
            r.content_length = sum->csv_bytes;
            r.body_pipe = pipe;
            respond(std::move(r));
            answered = true;
          }
        }
        if (answered) {
          std::string batch;
          bool open = true;
          auto st = exporter.Emit([&](std::string_view text) {
            if (!open) return;  // the client is gone: the rest of the walk is skipped cheaply
            batch += text;
            if (batch.size() >= kBatchBytes) {
              open = pipe->Write(batch);
              batch.clear();
            }
          });
          if (open && st.ok() && (batch.empty() || pipe->Write(batch))) {
            pipe->Finish();
          } else {
            pipe->Cancel();  // the client sees the body cut short of its Content-Length
          }
        }
        MutexLock lock(mu_);
        job->done = true;
      });
  jobs_.push_back(std::move(job));
}

}  // namespace urna::app
