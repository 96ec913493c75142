// Election lifecycle ports (docs/architecture.md §5): the one owner of an election's transitions
// (open, close + seal, finalize) and the admission side ingest holds for each vote, so a close is
// ordered against the votes in flight. Embedded: LocalLifecycle (src/lifecycle), one process's
// admission gate. Distributed (planned): a second implementation of the same two interfaces that
// fences the close across ingest nodes (leases; each node stops admitting, flushes and
// acknowledges; then the seals). Either way "before the close" is the seal's place in the log.
// Implementations are thread-safe.
#pragma once

#include <string_view>
#include <utility>

#include "core/election.h"
#include "core/status.h"

namespace urna {

// The ingest side: a vote holds a ticket from its admission check (catalog: election open,
// option known) until its append is queued on the log. A close waits for the tickets out, then
// refuses the election's votes at the door; its seal goes behind every vote admitted before.
class VoteAdmission {
 public:
  // Move-only; leaves the admission when destroyed.
  class Ticket {
   public:
    Ticket() = default;
    explicit Ticket(VoteAdmission* admission) : admission_(admission) {}
    Ticket(Ticket&& other) noexcept : admission_(std::exchange(other.admission_, nullptr)) {}
    Ticket& operator=(Ticket&& other) noexcept {
      if (this != &other) {
        Release();
        admission_ = std::exchange(other.admission_, nullptr);
      }
      return *this;
    }
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    ~Ticket() { Release(); }

   private:
    void Release() {
      if (admission_ != nullptr) std::exchange(admission_, nullptr)->Leave();
    }
    VoteAdmission* admission_ = nullptr;
  };

  virtual ~VoteAdmission() = default;
  // A vote for `election_id` enters; may wait while a close is between votes (microseconds).
  // kUnavailable when this node may not admit votes now (distributed: its lease ran out);
  // kNotOpen when it knows the election is closing.
  virtual Result<Ticket> Enter(std::string_view election_id) = 0;

 protected:
  // Called once per ticket, when it is destroyed.
  virtual void Leave() = 0;
};

// The admin side: every status change of an election goes through here. Blocking (catalog
// writes, a durable seal): call off the network threads.
class ElectionLifecycle {
 public:
  virtual ~ElectionLifecycle() = default;
  // draft -> open; an open election is returned as is. kNotFound; kConflict if closed or final.
  virtual Result<Election> Open(std::string_view election_id) = 0;
  // open -> closed, then the seal into every log partition; returns once the seal is durable.
  // Every vote admitted before is ahead of the seal in its partition, every vote after is
  // refused. Closing a closed election appends its seal again (harmless: processors pass a seal
  // once), which completes a close cut short between the two steps; a final election is returned
  // as is. kNotFound; kConflict if draft.
  virtual Result<Election> Close(std::string_view election_id) = 0;
  // closed -> final, for a recount whose counts agree; a final election is returned as is.
  // kNotFound; kConflict if draft or open.
  virtual Result<Election> Finalize(std::string_view election_id) = 0;

  // admin: an operator's changes besides the transitions, ordered with them (an edit never
  // undoes an open that came first). Replaces a draft's content by `spec` (same id; rules in
  // core/election.h EditDraftElection). kNotFound; kConflict unless draft.
  virtual Result<Election> EditDraft(const Election& spec) = 0;
  // Removes a draft (it never took a vote). kNotFound; kConflict unless draft.
  virtual Status DeleteDraft(std::string_view election_id) = 0;
  // Archives a final election: hidden from the default list, still readable; an archived one is
  // returned as is. kNotFound; kConflict unless final.
  virtual Result<Election> Archive(std::string_view election_id) = 0;
};

}  // namespace urna
