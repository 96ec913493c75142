#include "app/embedded_stack.h"

#include <spdlog/spdlog.h>

#include "ingest/clock_floor.h"

namespace urna::app {

Result<std::unique_ptr<EmbeddedStack>> EmbeddedStack::Open(const std::string& data_dir,
                                                           uint32_t partitions,
                                                           embedded::DbOptions db_options) {
  auto s = std::make_unique<EmbeddedStack>();
  auto db = embedded::EmbeddedDb::Open(data_dir, partitions, db_options);
  if (!db.ok()) return db.status();
  s->db = std::move(*db);
  auto catalog = embedded::EmbeddedCatalog::Open(*s->db);
  if (!catalog.ok()) {
    return Status(catalog.status().code(), "cannot load catalog: " + catalog.status().message());
  }
  s->catalog = std::move(*catalog);
  s->log = std::make_unique<embedded::EmbeddedVoteLog>(*s->db, size_t{8192},
                                                       db_options.receipt_index_capacity);
  auto latest = LatestTimeOnDisk(*s->catalog, *s->log, s->db->partitions());
  if (!latest.ok()) return latest.status();
  s->clock.RaiseFloor(*latest);
  if (int64_t behind = s->clock.BehindMs(); behind > 1000) {
    spdlog::warn(
        "the system clock is {} ms behind the latest time in {}: times stand still "
        "until it catches up",
        behind, data_dir);
  }
  s->state = std::make_unique<embedded::EmbeddedProcessorState>(*s->db);
  s->ledger = std::make_unique<embedded::EmbeddedLedger>(*s->db, &s->log->tail());
  s->read_model = std::make_unique<embedded::LocalReadModel>(s->clock, s->db.get());
  s->processor = std::make_unique<Processor>(s->db->partitions(), *s->log, *s->state, *s->catalog,
                                             *s->read_model);
  return s;
}

}  // namespace urna::app
