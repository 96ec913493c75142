// LedgerStreams: serves GET /v1/elections/{id}/audit/ledger.csv with bounded memory. Each export
// runs on a thread of its own (it reads RocksDB and may last minutes, so neither a network
// thread nor the API's small blocking pool may carry it): it scans the ledger into pseudonym
// buckets (spilling past `buffer_rows` rows), computes the digest and the length, answers the
// head (Content-Length, X-Ledger-Digest), then writes the rows into a BodyPipe that the
// connection drains; the pipe blocks the export while the client is slow, and stops it if the
// client goes away. At most `max_running` exports run at once; more get 503.
// Owned by the Api; Start is called on a network thread; Stop (or the destructor) cancels every
// export, scans included, and joins: call it while the network threads still run.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "net/http_types.h"
#include "ports/ledger.h"
#include "sync/mutex.h"

namespace urna::app {

class LedgerStreams {
 public:
  explicit LedgerStreams(size_t max_running = 2) : max_running_(max_running) {}
  ~LedgerStreams();
  // Cancels running exports (a scan stops within a few thousand rows) and joins them; later
  // Starts answer 503. Idempotent.
  void Stop();

  void Start(Ledger& ledger, std::string audit_key, std::string election_id, size_t buffer_rows,
             net::Responder respond);

 private:
  struct Job {
    std::thread thread;
    std::shared_ptr<net::BodyPipe> pipe;  // set once the head is answered
    bool done = false;                    // guarded by mu_
  };
  void Reap() REQUIRES(mu_);  // joins finished jobs

  const size_t max_running_;
  Mutex mu_;
  std::vector<std::shared_ptr<Job>> jobs_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  std::atomic<bool> cancelled_{false};  // read by the export threads' scans
};

}  // namespace urna::app
