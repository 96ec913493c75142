#include "audit/seal.h"

#include <future>

namespace urna {

Status AppendSealSync(VoteLog& log, const Election& election) {
  std::promise<Status> done;
  log.AppendSeal({election.id, election.closed_at_ms}, [&done](Status s) { done.set_value(s); });
  return done.get_future().get();
}

Result<Election> CloseAndSeal(Catalog& catalog, VoteLog& log, std::string_view election_id,
                              int64_t now_ms) {
  auto cur = catalog.Get(election_id);
  if (!cur.ok()) return cur.status();
  Election e = **cur;
  if (auto s = CloseElection(e, now_ms); !s.ok()) return s;
  if (e.status != (*cur)->status) {
    if (auto s = catalog.Update(e); !s.ok()) return s;  // ingest refuses its votes from here on
  }
  if (e.status == ElectionStatus::kFinal) return e;  // sealed and recounted long ago
  if (auto s = AppendSealSync(log, e); !s.ok()) return s;
  return e;
}

}  // namespace urna
