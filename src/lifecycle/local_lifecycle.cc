#include "lifecycle/local_lifecycle.h"

#include <future>
#include <memory>

namespace urna {
namespace {

// Applies `transition` (a core rule: OpenElection, CloseElection, FinalizeElection) to the
// catalog entry of `election_id` at `now_ms`; writes it back only when the status changed.
Result<Election> Apply(Catalog& catalog, std::string_view election_id, int64_t now_ms,
                       Status (*transition)(Election&, int64_t)) {
  auto cur = catalog.Get(election_id);
  if (!cur.ok()) return cur.status();
  Election e = **cur;
  if (auto s = transition(e, now_ms); !s.ok()) return s;
  if (e.status != (*cur)->status) {
    if (auto s = catalog.Update(e); !s.ok()) return s;
  }
  return e;
}

}  // namespace

Result<VoteAdmission::Ticket> LocalLifecycle::Enter(std::string_view) {
  gate_.lock_shared();  // released by Leave when the ticket goes
  return Ticket(this);
}

void LocalLifecycle::Leave() { gate_.unlock_shared(); }

Result<Election> LocalLifecycle::Open(std::string_view election_id) {
  std::lock_guard transitions(transitions_mu_);
  return Apply(catalog_, election_id, clock_.NowMs(), &OpenElection);
}

Result<Election> LocalLifecycle::Close(std::string_view election_id) {
  std::lock_guard transitions(transitions_mu_);
  Result<Election> e = Status(Code::kInternal, "not closed");
  auto sealed = std::make_shared<std::promise<Status>>();
  std::future<Status> durable = sealed->get_future();
  {
    // Votes admitted before this point are queued on the log already: the seal goes behind
    // them. Votes after it find the election closed and are refused at the door. closed_at is
    // read inside the gate, after every admitted vote read its ingest time.
    std::unique_lock closing(gate_);
    e = Apply(catalog_, election_id, clock_.NowMs(), &CloseElection);
    if (!e.ok()) return e;
    if (e->status == ElectionStatus::kFinal) return e;  // sealed and recounted long ago
    log_.AppendSeal({e->id, e->closed_at_ms}, [sealed](Status s) { sealed->set_value(s); });
  }
  if (auto s = durable.get(); !s.ok()) return s;  // durable before we say closed
  return e;
}

Result<Election> LocalLifecycle::Finalize(std::string_view election_id) {
  std::lock_guard transitions(transitions_mu_);
  return Apply(catalog_, election_id, clock_.NowMs(), &FinalizeElection);
}

}  // namespace urna
