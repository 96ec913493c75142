#include "audit/seal.h"

#include <future>
#include <memory>
#include <mutex>

namespace urna {

namespace {

// Queues the seal of `election` on every partition; the future says when it is durable.
std::future<Status> QueueSeal(VoteLog& log, const Election& election) {
  auto done = std::make_shared<std::promise<Status>>();
  auto durable = done->get_future();
  log.AppendSeal({election.id, election.closed_at_ms}, [done](Status s) { done->set_value(s); });
  return durable;
}

}  // namespace

Status AppendSealSync(VoteLog& log, const Election& election) {
  return QueueSeal(log, election).get();
}

Result<Election> CloseAndSeal(AdmissionGate& gate, Catalog& catalog, VoteLog& log,
                              std::string_view election_id, const Clock& clock) {
  Election e;
  std::future<Status> sealed;
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
    sealed = QueueSeal(log, e);
  }
  if (auto s = sealed.get(); !s.ok()) return s;  // durable before we say closed
  return e;
}

}  // namespace urna
