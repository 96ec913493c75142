// Online backup of `urna serve` (docs/operations.md "Backup and restore"): a RocksDB checkpoint
// of the running database, a consistent point-in-time copy of every column family (the log, the
// ledger, receipts, tallies with their offsets, the catalog) taken without stopping votes, plus
// the data dir's `secrets` file. Backups go only under the directory the operator named with
// `urna serve --backup-dir`, each into a new directory there. The result is a data dir: restore
// = copy it where the new data dir goes and start `urna serve --data-dir` on it.
// Owned by the embedded server. One backup at a time, on this class's own thread (never the
// network threads nor the Api's blocking pool): Start hands it over and returns at once.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <thread>

#include "adapters/embedded/db.h"
#include "core/status.h"
#include "sync/mutex.h"

namespace urna::app {

class Backups {
 public:
  // What Start's caller hears when the backup ends (on the backup thread): the backup's absolute
  // path or why there is none, and how long it took.
  using Done = std::function<void(Result<std::string> path, double seconds)>;

  // `root` empty: backups are off (Target answers kConflict saying how to turn them on).
  Backups(embedded::EmbeddedDb& db, std::string data_dir, std::string root);
  ~Backups();  // Stop()
  Backups(const Backups&) = delete;
  Backups& operator=(const Backups&) = delete;

  // Where a backup named `to` goes, from the name alone (no filesystem call; any thread): a NAME
  // ([A-Za-z0-9._-], not starting with '.', not ending in ".tmp") under the root, or an absolute
  // path directly inside the root. kInvalidArgument otherwise, kConflict when backups are off.
  Result<std::string> Target(const std::string& to) const;

  // Starts the backup named `to` on the backup thread; `done` is called there when it ends.
  // kConflict only while another backup runs (one at a time), kUnavailable after Stop; `done`
  // is not called then. Any thread; never blocks on I/O.
  Status Start(const std::string& to, Done done);

  // Waits for the backup in progress (its `done` has been called when this returns); later
  // Start calls fail. Idempotent; called by the Api's Shutdown, before the network stops.
  void Stop();

 private:
  struct Job {
    std::string to;
    Done done;
  };
  void Run();  // the backup thread
  // Makes the backup on the backup thread (blocking disk I/O). Refuses (kConflict) a target
  // that exists, or whose "<target>.tmp" sibling exists (RocksDB's staging name: never
  // touched), so a backup never overwrites or removes anything it did not create.
  Result<std::string> Create(const std::string& to);

  embedded::EmbeddedDb& db_;
  const std::string data_dir_;
  const std::string root_;
  Mutex mu_;
  CondVar wake_;
  std::optional<Job> job_ GUARDED_BY(mu_);  // the backup started and not yet ended (at most one)
  bool stopping_ GUARDED_BY(mu_) = false;
  std::thread thread_ GUARDED_BY(mu_);  // started with the first backup; joined by Stop
};

}  // namespace urna::app
