#include "lifecycle/admin_changes.h"

namespace urna {
namespace {

// Reads, applies `change` (which says whether the entry must be written) and writes on the
// version read, again on kConflict.
template <class Change>
Result<Election> Rewrite(Catalog& catalog, std::string_view election_id, int attempts,
                         Change change) {
  Status last(Code::kInternal, "no attempt");
  for (int attempt = 0; attempt < attempts; ++attempt) {
    auto cur = catalog.Get(election_id);
    if (!cur.ok()) return cur.status();
    Election e = **cur;
    auto write = change(e);
    if (!write.ok()) return write.status();
    if (!*write) return e;
    last = catalog.Update(e);
    if (last.ok()) return e;
    if (last.code() != Code::kConflict) return last;
  }
  return last;
}

}  // namespace

Result<Election> EditDraftEntry(Catalog& catalog, const Election& spec, int attempts) {
  return Rewrite(catalog, spec.id, attempts, [&spec](Election& e) -> Result<bool> {
    if (auto s = EditDraftElection(e, spec); !s.ok()) return s;
    return true;
  });
}

Status DeleteDraftEntry(Catalog& catalog, std::string_view election_id, int attempts) {
  Status last(Code::kInternal, "no attempt");
  for (int attempt = 0; attempt < attempts; ++attempt) {
    auto cur = catalog.Get(election_id);
    if (!cur.ok()) return cur.status();
    if (auto s = CheckDeletable(**cur); !s.ok()) return s;
    last = catalog.Delete(**cur);
    if (last.code() != Code::kConflict) return last;
  }
  return last;
}

Result<Election> ArchiveEntry(Catalog& catalog, std::string_view election_id, int64_t now_ms,
                              int attempts) {
  return Rewrite(catalog, election_id, attempts, [now_ms](Election& e) -> Result<bool> {
    const bool archived = e.archived_at_ms != 0;
    if (auto s = ArchiveElection(e, now_ms); !s.ok()) return s;
    return !archived;
  });
}

}  // namespace urna
