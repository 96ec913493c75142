// DynamoCatalog: the elections (ports/catalog.h) in the DynamoDB table `<prefix>elections`,
// shared by every ingest and processor process of a distributed deployment.
//
// Item per election: `id` (S, the key), `election` (B: the election's protobuf, the embedded
// catalog's bytes, adapters/codec), `version` (N: 1 at Create, +1 per Update) and `status` (S,
// for people reading the table). Create is a conditional put (attribute_not_exists(id)); Update
// a conditional put on the version the caller read (`Election::catalog_version`, which Get and
// List fill; optimistic: a change by another process since that read, even one this cache has
// refreshed since, makes it fail with kConflict instead of being overwritten; 0 is
// kInvalidArgument). A retried write whose first attempt did apply (its response was lost)
// finds its own item and succeeds.
// admin: Delete (of a draft) writes a tombstone on the version read: the item keeps its id and
// `version` (+1) with `deleted` (BOOL true) and no election, so every process's cache drops the
// entry at its next refresh (an item simply removed could not be told from one the scan missed)
// and a Create of the same id again is a conditional put on the tombstone's version, newer than
// anything cached.
//
// Get and List never touch the network: they read an in-memory cache, filled at Open, updated
// by this process's own writes at once and by a background thread that re-reads the table every
// `refresh` (default 250 ms), so another process's change is seen within refresh + one Scan.
// While DynamoDB is unreachable the cache keeps its last view (the error is logged and
// `last_refresh_error()` says it; each background Scan makes 2 attempts, so the destructor
// waits at most for those). Thread-safe; owns its refresh thread (stopped by the destructor).
// The DynamoClient must outlive it.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "adapters/dynamodb/dynamo_client.h"
#include "ports/catalog.h"
#include "sync/mutex.h"

namespace urna::dynamodb {

struct DynamoCatalogOptions {
  std::chrono::milliseconds refresh{250};  // how often the cache re-reads the table
};

class DynamoCatalog : public Catalog {
 public:
  // `<prefix>elections` as `urna init` creates it.
  static TableSpec Spec(std::string_view table_prefix);

  // Reads the table once (an error if that fails: kNotFound without the table) and starts the
  // refresh thread.
  static Result<std::unique_ptr<DynamoCatalog>> Open(DynamoClient& client,
                                                     std::string_view table_prefix,
                                                     DynamoCatalogOptions options = {});
  ~DynamoCatalog() override;

  Status Create(const Election& election) override;
  Status Update(const Election& election) override;
  Status Delete(const Election& election) override;
  Result<std::shared_ptr<const Election>> Get(std::string_view id) override;
  std::vector<std::shared_ptr<const Election>> List() override;
  // A consistent read of the item (kNotFound when absent), merged into the cache.
  Result<std::shared_ptr<const Election>> GetFresh(std::string_view id) override;

  // Re-reads the whole table into the cache now (the refresh thread calls it).
  Status Refresh();
  // The last refresh's error, ok once one succeeds again.
  Status last_refresh_error();
  // Refreshes are numbered as they begin: refreshes_begun() is the newest number, and
  // refreshes_ended() the number of the newest one that has ended, having read the whole table
  // or failed (last_refresh_error). A reader that saw refreshes_begun() == n knows, once
  // refreshes_ended() > n, that a refresh begun after it looked is over: the cache has what the
  // table held then, unless that refresh failed (the result server's wait for an election
  // created elsewhere, which must not outlast a refresh while DynamoDB is unreachable).
  uint64_t refreshes_begun() const { return refreshes_begun_.load(std::memory_order_acquire); }
  uint64_t refreshes_ended() const { return refreshes_ended_.load(std::memory_order_acquire); }

 private:
  struct Entry {
    std::shared_ptr<const Election> election;  // null: deleted (a tombstone)
    int64_t version = 0;
    std::string bytes;  // as stored: recognizes this process's own write after a lost answer
  };
  DynamoCatalog(DynamoClient& client, std::string table, DynamoCatalogOptions options);
  // Conditional put of `election` as `version`: absent before (create), else at version - 1
  // (an update, or a create over a tombstone).
  Status Put(const Election& election, int64_t version, bool create);
  // Conditional put of the tombstone of `id` as `version` (at version - 1 before).
  Status PutTombstone(const std::string& id, int64_t version);
  // The stored item of `id` (consistent read); kNotFound when absent.
  Result<Entry> Read(std::string_view id);
  // Keeps `e` unless the cache has a newer version of it.
  void Merge(const std::string& id, Entry e) REQUIRES(mu_);
  // Refresh with at most `max_attempts` per Scan call (0: the client's): numbers it (begun,
  // then ended however ScanIntoCache ends).
  Status Refresh(int max_attempts);
  // Reads the whole table and merges what is newer into the cache.
  Status ScanIntoCache(int max_attempts);
  void RefreshLoop();

  DynamoClient& client_;
  const std::string table_;
  const DynamoCatalogOptions options_;
  Mutex write_mu_;  // one Create/Update at a time in this process
  SharedMutex mu_;
  std::map<std::string, Entry, std::less<>> cache_ GUARDED_BY(mu_);
  Mutex stop_mu_;
  CondVar stop_cv_;
  bool stopping_ GUARDED_BY(stop_mu_) = false;
  Status refresh_error_ GUARDED_BY(stop_mu_);
  std::atomic<uint64_t> refreshes_begun_{0};
  std::atomic<uint64_t> refreshes_ended_{0};
  std::thread refresher_;
};

}  // namespace urna::dynamodb
