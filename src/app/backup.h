// Online backup of `urna serve` (docs/operations.md "Backup and restore"): a RocksDB checkpoint
// of the running database, a consistent point-in-time copy of every column family (the log, the
// ledger, receipts, tallies with their offsets, the catalog) taken without stopping votes, plus
// the data dir's `secrets` file. Backups go only under the directory the operator named with
// `urna serve --backup-dir`, each into a new directory there. The result is a data dir: restore
// = copy it where the new data dir goes and start `urna serve --data-dir` on it.
// Owned by the embedded server; Create blocks (disk I/O): never on a network thread.
#pragma once

#include <string>

#include "adapters/embedded/db.h"
#include "core/status.h"

namespace urna::app {

class Backups {
 public:
  // `root` empty: backups are off (Create answers kConflict saying how to turn them on).
  Backups(embedded::EmbeddedDb& db, std::string data_dir, std::string root)
      : db_(db), data_dir_(std::move(data_dir)), root_(std::move(root)) {}

  // Where a backup named `to` goes: a NAME ([A-Za-z0-9._-], not starting with '.') under the
  // root, or an absolute path directly inside the root. kInvalidArgument otherwise; kConflict if
  // it exists already (a backup never overwrites anything).
  Result<std::string> Resolve(const std::string& to) const;
  // Makes the backup; returns its absolute path.
  Result<std::string> Create(const std::string& to);

 private:
  embedded::EmbeddedDb& db_;
  const std::string data_dir_;
  const std::string root_;
};

}  // namespace urna::app
