#include "lifecycle/local_lifecycle.h"

#include <future>
#include <memory>

#include "lifecycle/admin_changes.h"

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

Result<VoteAdmission::Ticket> LocalLifecycle::Enter(std::string_view election_id) {
  gate_.lock_shared();  // released by Leave when the ticket goes
  Ticket ticket(this);
  // closing_ changes only under the exclusive gate, so the shared side reads it safely.
  if (!closing_.empty() && closing_.contains(election_id)) {
    return Status(Code::kNotOpen, "election " + std::string(election_id) + " is closing");
  }
  return ticket;
}

void LocalLifecycle::Leave() { gate_.unlock_shared(); }

Result<Election> LocalLifecycle::Open(std::string_view election_id) {
  MutexLock transitions(transitions_mu_);
  return Apply(catalog_, election_id, clock_.NowMs(), &OpenElection);
}

Result<Election> LocalLifecycle::Close(std::string_view election_id) {
  MutexLock transitions(transitions_mu_);
  auto cur = catalog_.Get(election_id);
  if (!cur.ok()) return cur.status();
  Election e = **cur;
  const bool closing_now = e.status == ElectionStatus::kOpen;
  {
    // Waits for the votes between their admission check and their append (they are queued on
    // the log when it has the gate), and holds new ones back for microseconds only: closed_at
    // is read here, after every admitted vote read its ingest time, and from here the
    // election's votes are refused at the door (Enter). No disk write happens under the gate:
    // ingest runs on the network threads.
    std::unique_lock gate(gate_);
    if (auto s = CloseElection(e, clock_.NowMs()); !s.ok()) return s;
    if (e.status == ElectionStatus::kFinal) return e;  // sealed and recounted long ago
    if (closing_now) closing_.insert(e.id);
  }
  if (closing_now) {
    // Durable before the seal: a seal in the log with the catalog still saying open would put
    // later votes behind it. Other elections' votes go on meanwhile.
    Status s = catalog_.Update(e);
    {
      std::unique_lock gate(gate_);
      closing_.erase(e.id);  // the catalog refuses its votes now (or, on failure, admits them)
    }
    if (!s.ok()) return s;
  }
  // Every vote of the election admitted before is queued on the log already: the seal goes
  // behind them. A closed election's seal is appended again (completes a close cut short).
  auto sealed = std::make_shared<std::promise<Status>>();
  std::future<Status> durable = sealed->get_future();
  log_.AppendSeal({e.id, e.closed_at_ms}, [sealed](Status s) { sealed->set_value(s); });
  if (auto s = durable.get(); !s.ok()) return s;  // durable before we say closed
  return e;
}

Result<Election> LocalLifecycle::Finalize(std::string_view election_id) {
  MutexLock transitions(transitions_mu_);
  return Apply(catalog_, election_id, clock_.NowMs(), &FinalizeElection);
}

// admin: under the transitions lock, so never between an open's read and its write.
Result<Election> LocalLifecycle::EditDraft(const Election& spec) {
  MutexLock transitions(transitions_mu_);
  return EditDraftEntry(catalog_, spec, 1);
}

Status LocalLifecycle::DeleteDraft(std::string_view election_id) {
  MutexLock transitions(transitions_mu_);
  return DeleteDraftEntry(catalog_, election_id, 1);
}

Result<Election> LocalLifecycle::Archive(std::string_view election_id) {
  MutexLock transitions(transitions_mu_);
  return ArchiveEntry(catalog_, election_id, clock_.NowMs(), 1);
}

}  // namespace urna
