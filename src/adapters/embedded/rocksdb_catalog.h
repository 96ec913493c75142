// EmbeddedCatalog: elections stored in RocksDB and mirrored in memory, so the hot paths
// (ingest, processor) read them without I/O. Owned by the app; thread-safe.
// Create/Update/Delete write synchronously (blocking): call them off the network threads.
#pragma once

#include <map>
#include <string>

#include "adapters/embedded/db.h"
#include "ports/catalog.h"
#include "sync/mutex.h"

namespace urna::embedded {

class EmbeddedCatalog final : public Catalog {
 public:
  // Loads every stored election. Fails on a corrupt entry.
  static Result<std::unique_ptr<EmbeddedCatalog>> Open(EmbeddedDb& db);

  Status Create(const Election& election) override;
  Status Update(const Election& election) override;
  Status Delete(const Election& election) override;
  Result<std::shared_ptr<const Election>> Get(std::string_view id) override;
  std::vector<std::shared_ptr<const Election>> List() override;

 private:
  explicit EmbeddedCatalog(EmbeddedDb& db) : db_(db) {}
  Status Store(const Election& e) REQUIRES(write_mu_);

  EmbeddedDb& db_;
  Mutex write_mu_;  // serializes Create/Update/Delete so check-then-write is atomic
  SharedMutex mu_;
  std::map<std::string, std::shared_ptr<const Election>, std::less<>> cache_ GUARDED_BY(mu_);
};

}  // namespace urna::embedded
