// FencedLifecycle: the election lifecycle of the distributed deployment (`urna ingest`), where
// votes of one election pass through several ingest nodes and one node's AdmissionGate cannot
// order another node's votes against a seal (docs/architecture.md §5, src/lifecycle/README.md).
// One per ingest process; it is that node's VoteAdmission and the ElectionLifecycle its admin
// routes and recount call. Across nodes it goes through NodeLeases (ports/node_leases.h):
// - a lease thread (`urna-lease`) renews this node's lease every renew_interval and reads the
//   closing marks every poll_interval; the node admits votes only until renew_deadline after the
//   start of its last successful renewal, which is shorter than lease_ttl, the time another node
//   must see the lease unchanged before it may expire it (so a node that cannot renew stops
//   admitting before anyone may think it dead);
// - on a closing mark the node stops admitting the election (its gate, as LocalLifecycle),
//   waits for its queued appends of it to complete, and acknowledges;
// - Close marks the election closing, waits until every stored lease has acknowledged or been
//   expired (unchanged for lease_ttl), writes the catalog closed (closed_at at or after every
//   acknowledging node's clock) and seals every partition.
// A vote is answered 202 only if its append completed while its node's lease was still held
// (vote_log() checks), so a node paused past its lease cannot acknowledge a vote behind a seal.
// Owned by the app; thread-safe; Open/Close/Finalize block (store and catalog calls, a durable
// seal); Enter waits only while a closing mark is applied (microseconds). The changes of one
// election run one at a time, those of different elections in parallel (ElectionLocks).
#pragma once

#include <time.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>

#include "lifecycle/admission_gate.h"
#include "lifecycle/election_locks.h"
#include "ports/catalog.h"
#include "ports/clock.h"
#include "ports/election_lifecycle.h"
#include "ports/node_leases.h"
#include "ports/vote_log.h"
#include "sync/mutex.h"

namespace urna {

// The clock lease times are measured on, in ms: CLOCK_BOOTTIME, which never steps and, unlike
// std::chrono::steady_clock (CLOCK_MONOTONIC), keeps counting while the machine is suspended, so
// a node that slept through its lease sees it lapsed on waking. The fence assumes only that the
// nodes' clocks of this kind run at about the same rate, not that they agree.
class SteadyClock final : public Clock {
 public:
  int64_t NowMs() const override {
    timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts);
    return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1'000'000;
  }
};

struct FenceOptions {
  // Another node may expire this node's lease once it has seen it unchanged this long.
  std::chrono::milliseconds lease_ttl{8000};
  // How often the lease is renewed.
  std::chrono::milliseconds renew_interval{1000};
  // The node admits votes only this long after the start of its last successful renewal. Less
  // than lease_ttl: the gap is the margin for the rates of the nodes' steady clocks and the
  // time a completed vote's answer takes to be checked. 5 s of 8 s: a renewal may take seconds
  // on a loaded machine (measured: 2 s lapsed under full load on the 2-core test machine,
  // answering 503s), while a dead node still holds a close for 8 s at most.
  std::chrono::milliseconds renew_deadline{5000};
  // How often the closing marks are read (and a closer re-reads leases and acknowledgements).
  std::chrono::milliseconds poll_interval{200};
  // How long Close waits for the nodes before answering kUnavailable (close again to finish).
  std::chrono::milliseconds close_timeout{30000};
  // How long Stop waits for this node's queued appends before releasing its lease.
  std::chrono::milliseconds stop_timeout{10000};

  // kInvalidArgument unless 0 < poll_interval, renew_interval < renew_deadline < lease_ttl.
  Status Validate() const;
};

class FencedLifecycle final : public ElectionLifecycle, public VoteAdmission {
 public:
  // `clock` stamps opened_at/closed_at/finalized_at (a MonotonicClock shared with the ingest,
  // as in LocalLifecycle); `steady` measures leases (SteadyClock; tests inject one). `node_id`
  // names this node's lease: unique per running ingest process. Options must Validate().
  FencedLifecycle(Catalog& catalog, VoteLog& log, NodeLeases& leases, const Clock& clock,
                  const Clock& steady, std::string node_id, FenceOptions options);
  ~FencedLifecycle() override;  // Stop()

  // The VoteLog the IngestService of this node must append through: it counts each election's
  // appends in flight (a close waits for them) and turns an append that completes after this
  // node's lease lapsed into kUnavailable (its place against a seal is unknown). Seals and
  // Drain go straight to `log`.
  VoteLog& vote_log() { return in_flight_log_; }

  // Starts the lease thread; the node admits votes once it has registered and read the marks.
  void Start();
  // Stops admitting, waits up to stop_timeout for this node's appends in flight, removes its
  // lease (so no close waits for it) and joins the lease thread. Idempotent.
  void Stop();
  // One round of the lease thread: register or renew, read the marks, stop admitting newly
  // closing elections, acknowledge those drained. Tests drive it directly instead of Start().
  // Ok when the round renewed (or did not need to) and wrote every due acknowledgement.
  Status Tick();
  // Whether this node admits votes now (its lease is held): for /healthz.
  bool HasLease() const;
  // The last round's error (ok when it succeeded): why the node has no lease, for /healthz.
  Status LastError() const;

  Result<Ticket> Enter(std::string_view election_id) override;
  Result<Election> Open(std::string_view election_id) override;
  Result<Election> Close(std::string_view election_id) override;
  Result<Election> Finalize(std::string_view election_id) override;
  Result<Election> EditDraft(const Election& spec) override;
  Status DeleteDraft(std::string_view election_id) override;
  Result<Election> Archive(std::string_view election_id) override;

 private:
  // The VoteLog decorator behind vote_log().
  class InFlightLog final : public VoteLog {
   public:
    explicit InFlightLog(FencedLifecycle& owner) : owner_(owner) {}
    uint32_t partitions() const override { return owner_.log_.partitions(); }
    void Append(VoteEvent vote, AppendDone done) override;
    void AppendSeal(SealMarker seal, AppendDone done) override {
      owner_.log_.AppendSeal(std::move(seal), std::move(done));
    }
    void Drain() override { owner_.log_.Drain(); }

   private:
    FencedLifecycle& owner_;
  };

  void Leave() override;
  Status Round() REQUIRES(tick_mu_);  // Tick's body
  // Stops admitting every election in `marks` not yet refused (one pass of the exclusive gate)
  // and queues acknowledgements for those this node's catalog does not show closed.
  void ApplyMarks(const std::vector<std::string>& marks) REQUIRES(tick_mu_);
  Status SendAcks() REQUIRES(tick_mu_);
  void LoseLease() REQUIRES(tick_mu_);
  // Register found another lease stored under this node's id (another process runs with the
  // same id, or this node's previous run left it): expires it once it has stayed unchanged for
  // lease_ttl, as a closer would. Ok when the id is free to register now.
  Status ClaimId() REQUIRES(tick_mu_);
  // Waits until every stored lease has acknowledged the close of `election_id` or has been
  // expired; the latest stopped_at_ms acknowledged. kUnavailable at close_timeout.
  Result<int64_t> AwaitFence(std::string_view election_id);
  Result<Election> WriteClosed(std::string_view election_id, int64_t not_before_ms);
  void Run();

  Catalog& catalog_;
  VoteLog& log_;
  NodeLeases& leases_;
  const Clock& clock_;
  const Clock& steady_;
  const std::string node_id_;
  const FenceOptions options_;
  InFlightLog in_flight_log_{*this};

  // Each election's transitions (Close until the seal is durable) and admin changes, one at a
  // time; different elections' in parallel.
  ElectionLocks election_locks_;
  AdmissionGate gate_;
  // Elections this node refuses (marked closing); grows only, under the exclusive gate, read
  // under the shared side (not annotated: the gate is held across Enter/Leave).
  std::set<std::string, std::less<>> closing_;

  mutable Mutex lease_mu_;
  uint64_t generation_ GUARDED_BY(lease_mu_) = 0;     // +1 per registration and per lost lease
  int64_t valid_until_ms_ GUARDED_BY(lease_mu_) = 0;  // on `steady`; 0: no lease
  // Set by a registration, cleared when a lease first becomes valid after it, with a generation
  // bump then: appends made while no lease was valid never complete as the new lease's.
  bool bump_on_valid_ GUARDED_BY(lease_mu_) = false;
  bool stopped_ GUARDED_BY(lease_mu_) = false;
  std::map<std::string, int64_t, std::less<>> in_flight_ GUARDED_BY(lease_mu_);  // by election
  int64_t in_flight_total_ GUARDED_BY(lease_mu_) = 0;
  Status last_error_ GUARDED_BY(lease_mu_);
  CondVar in_flight_cv_;

  Mutex tick_mu_;  // one round at a time
  std::optional<NodeLease> lease_ GUARDED_BY(tick_mu_);
  int64_t last_renewal_ms_ GUARDED_BY(tick_mu_) = 0;
  // Another lease stored under node_id_ (ClaimId): as first seen unchanged, and when (on
  // `steady`); whether it was seen renewed (logged once per epoch).
  struct Rival {
    NodeLease lease;
    int64_t since_ms = 0;
    bool seen_alive = false;
  };
  std::optional<Rival> rival_ GUARDED_BY(tick_mu_);
  // Elections stopped and waiting to be acknowledged under this lease: their stopped_at_ms.
  std::map<std::string, int64_t> pending_acks_ GUARDED_BY(tick_mu_);
  std::set<std::string> acked_ GUARDED_BY(tick_mu_);  // under this lease's epoch

  Mutex run_mu_;
  CondVar run_cv_;
  bool running_ GUARDED_BY(run_mu_) = false;
  std::thread thread_;
};

}  // namespace urna
