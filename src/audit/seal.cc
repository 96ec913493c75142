#include "audit/seal.h"

#include <future>
#include <mutex>

namespace urna {

Status AppendSealSync(VoteLog& log, const Election& election) {
  std::promise<Status> done;
  log.AppendSeal({election.id, election.closed_at_ms}, [&done](Status s) { done.set_value(s); });
  return done.get_future().get();
}

Result<Election> CloseAndSeal(AdmissionGate& gate, Catalog& catalog, VoteLog& log,
                              std::string_view election_id, const Clock& clock) {
  Election e;
  std::promise<Status> sealed;
  bool sealing = false;
  {
    // Votes admitted before this point are queued on the log already: the seal goes behind
    // them. Votes after it find the election closed and are refused at the door.
    std::unique_lock closing(gate);
    auto cur = catalog.Get(election_id);
    if (!cur.ok()) return cur.status();
    e = **cur;
    if (auto s = CloseElection(e, clock.NowMs()); !s.ok()) return s;
    if (e.status != (*cur)->status) {
      if (auto s = catalog.Update(e); !s.ok()) return s;
    }
    if (e.status == ElectionStatus::kFinal) return e;  // sealed and recounted long ago
    log.AppendSeal({e.id, e.closed_at_ms}, [&sealed](Status s) { sealed.set_value(s); });
    sealing = true;
  }
  if (sealing) {
    if (auto s = sealed.get_future().get(); !s.ok()) return s;  // durable before we say closed
  }
  return e;
}

}  // namespace urna
