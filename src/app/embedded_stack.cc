#include "app/embedded_stack.h"

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
  s->log = std::make_unique<embedded::EmbeddedVoteLog>(*s->db);
  s->state = std::make_unique<embedded::EmbeddedProcessorState>(*s->db);
  s->ledger = std::make_unique<embedded::EmbeddedLedger>(*s->db);
  s->read_model = std::make_unique<embedded::LocalReadModel>(s->clock);
  s->processor = std::make_unique<Processor>(s->db->partitions(), *s->log, *s->state, *s->catalog,
                                             *s->read_model);
  return s;
}

}  // namespace urna::app
