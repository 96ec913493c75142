// LocalLifecycle: the election lifecycle of a deployment whose votes all pass through this
// process's ingest (`urna serve`, docs/architecture.md §5). It is the VoteAdmission the
// IngestService holds per vote and the ElectionLifecycle the admin routes and the recount call.
// One AdmissionGate orders the two: a vote's ticket holds it shared; a close holds it exclusively
// for microseconds, to wait for the votes between their check and their append, read closed_at
// and mark the election closing (Enter refuses its votes from then on); then, outside the gate,
// the catalog writes the election closed and the seal is queued on every partition. So every vote
// admitted before is ahead of the seal, every vote after is refused at the door, and no vote (of
// any election) waits for the close's disk writes. Transitions run one at a time (each is a
// read-modify-write of the catalog entry).
// Owned by the app (or the offline recount); thread-safe; Open/Close/Finalize block (catalog
// writes, a durable seal), Enter waits only while a close is between votes.
#pragma once

#include <functional>
#include <set>
#include <string>
#include <string_view>

#include "lifecycle/admission_gate.h"
#include "ports/catalog.h"
#include "ports/clock.h"
#include "ports/election_lifecycle.h"
#include "ports/vote_log.h"
#include "sync/mutex.h"

namespace urna {

class LocalLifecycle final : public ElectionLifecycle, public VoteAdmission {
 public:
  // The times it stamps (opened_at, closed_at, finalized_at) come from `clock`. With a
  // MonotonicClock shared with the ingest (as the app runs it), every vote admitted before a
  // close has an ingest time at or before closed_at. No fate depends on that: DecideVote goes by
  // the seal's place in the log.
  LocalLifecycle(Catalog& catalog, VoteLog& log, const Clock& clock)
      : catalog_(catalog), log_(log), clock_(clock) {}

  Result<Ticket> Enter(std::string_view election_id) override;
  Result<Election> Open(std::string_view election_id) override;
  Result<Election> Close(std::string_view election_id) override;
  Result<Election> Finalize(std::string_view election_id) override;
  Result<Election> EditDraft(const Election& spec) override;
  Status DeleteDraft(std::string_view election_id) override;
  Result<Election> Archive(std::string_view election_id) override;

 private:
  void Leave() override;

  Catalog& catalog_;
  VoteLog& log_;
  const Clock& clock_;
  Mutex transitions_mu_;  // held by every transition (Close until the seal is durable) and admin
                          // change
  AdmissionGate gate_;
  // Elections whose close has passed the gate and waits for its catalog write; changed only
  // under the exclusive gate, read under the shared side (the gate is a pthread rwlock taken
  // across Enter/Leave, which clang's analysis cannot follow, so this is not annotated).
  std::set<std::string, std::less<>> closing_;
};

}  // namespace urna
