// EmbeddedStack: the embedded deployment's write side and read model on one data dir — the
// RocksDB database and every adapter on it, plus the processor — built in one place for
// `urna serve` and the offline commands. Owned by the caller; members are thread-safe as
// documented on each class. Members are built in declaration order and destroyed in reverse:
// the processor stops first, the vote log drains its queued appends, the database closes last.
#pragma once

#include <memory>
#include <string>

#include "adapters/embedded/db.h"
#include "adapters/embedded/local_read_model.h"
#include "adapters/embedded/rocksdb_catalog.h"
#include "adapters/embedded/rocksdb_ledger.h"
#include "adapters/embedded/rocksdb_processor_state.h"
#include "adapters/embedded/rocksdb_vote_log.h"
#include "processor/processor.h"

namespace urna::app {

struct EmbeddedStack {
  // Opens the data dir (a new one gets `partitions` partitions). The processor is not started.
  static Result<std::unique_ptr<EmbeddedStack>> Open(const std::string& data_dir,
                                                     uint32_t partitions,
                                                     embedded::DbOptions db_options = {});

  // Every time this process stamps (cast_at, opened_at, closed_at, ...) comes from `clock`, which
  // never goes backwards, not even across a restart: Open raises it to the latest time on disk.
  SystemClock system_clock;
  MonotonicClock clock{system_clock};
  std::unique_ptr<embedded::EmbeddedDb> db;
  std::unique_ptr<embedded::EmbeddedCatalog> catalog;
  std::unique_ptr<embedded::EmbeddedVoteLog> log;
  std::unique_ptr<embedded::EmbeddedProcessorState> state;
  std::unique_ptr<embedded::EmbeddedLedger> ledger;
  std::unique_ptr<embedded::LocalReadModel> read_model;
  std::unique_ptr<Processor> processor;
};

}  // namespace urna::app
