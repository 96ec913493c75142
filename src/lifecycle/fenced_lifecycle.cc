#include "lifecycle/fenced_lifecycle.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>
#include <memory>
#include <mutex>

#include "lifecycle/admin_changes.h"

namespace urna {
namespace {

// Attempts of a transition whose catalog write conflicts (another process changed the entry
// since this one read it): each reads the stored state again and decides on it.
constexpr int kWriteAttempts = 5;

// Applies `transition` (a core rule) to the catalog entry of `election_id` at `now_ms`; writes
// it back only when the status changed, on the version read (Catalog::Update).
Result<Election> Apply(Catalog& catalog, std::string_view election_id, int64_t now_ms,
                       Status (*transition)(Election&, int64_t)) {
  Status last;
  for (int attempt = 0; attempt < kWriteAttempts; ++attempt) {
    auto cur = catalog.Get(election_id);
    if (!cur.ok()) return cur.status();
    Election e = **cur;
    if (auto s = transition(e, now_ms); !s.ok()) return s;
    if (e.status == (*cur)->status) return e;
    last = catalog.Update(e);
    if (last.ok()) return e;
    if (last.code() != Code::kConflict) return last;
  }
  return last;
}

std::string Join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

Status FenceOptions::Validate() const {
  if (poll_interval.count() <= 0) {
    return Status(Code::kInvalidArgument, "lease poll interval must be positive");
  }
  if (!(renew_interval.count() > 0 && renew_interval < renew_deadline &&
        renew_deadline < lease_ttl)) {
    return Status(Code::kInvalidArgument,
                  "lease times must satisfy 0 < renew interval < renew deadline < lease TTL");
  }
  return Status::Ok();
}

FencedLifecycle::FencedLifecycle(Catalog& catalog, VoteLog& log, NodeLeases& leases,
                                 const Clock& clock, const Clock& steady, std::string node_id,
                                 FenceOptions options)
    : catalog_(catalog),
      log_(log),
      leases_(leases),
      clock_(clock),
      steady_(steady),
      node_id_(std::move(node_id)),
      options_(options) {}

FencedLifecycle::~FencedLifecycle() { Stop(); }

// --- admission -----------------------------------------------------------------------------

Result<VoteAdmission::Ticket> FencedLifecycle::Enter(std::string_view election_id) {
  gate_.lock_shared();  // released by Leave when the ticket goes
  Ticket ticket(this);
  {
    MutexLock lock(lease_mu_);
    if (stopped_) return Status(Code::kUnavailable, "this ingest node is shutting down");
    if (steady_.NowMs() >= valid_until_ms_) {
      return Status(Code::kUnavailable,
                    "this ingest node holds no valid lease (starting, or its lease store is "
                    "unreachable)");
    }
  }
  // closing_ changes only under the exclusive gate, so the shared side reads it safely.
  if (!closing_.empty() && closing_.contains(election_id)) {
    return Status(Code::kNotOpen, "election " + std::string(election_id) + " is closing");
  }
  return ticket;
}

void FencedLifecycle::Leave() { gate_.unlock_shared(); }

bool FencedLifecycle::HasLease() const {
  MutexLock lock(lease_mu_);
  return !stopped_ && steady_.NowMs() < valid_until_ms_;
}

void FencedLifecycle::InFlightLog::Append(VoteEvent vote, AppendDone done) {
  FencedLifecycle& o = owner_;
  uint64_t generation = 0;
  bool valid;
  {
    MutexLock lock(o.lease_mu_);
    // A vote admitted under a lease that is gone by now (lapsed, or lost and not yet replaced
    // by a valid one) may be behind a seal already: it is not queued.
    valid = o.steady_.NowMs() < o.valid_until_ms_;
    if (valid) {
      generation = o.generation_;
      ++o.in_flight_[vote.election_id];
      ++o.in_flight_total_;
    }
  }
  if (!valid) {
    return done(Status(Code::kUnavailable,
                       "this ingest node's lease lapsed before the vote was appended; try again"));
  }
  std::string election_id = vote.election_id;
  std::string vote_id = vote.vote_id;
  o.log_.Append(std::move(vote), [&o, generation, election_id = std::move(election_id),
                                  vote_id = std::move(vote_id), done = std::move(done)](Status s) {
    // Durable now: it is ahead of any seal only if this node's lease still held (a closer
    // expires a lease only after it lapsed on this node's clock, and seals after that).
    bool held;
    {
      MutexLock lock(o.lease_mu_);
      held = generation == o.generation_ && o.steady_.NowMs() < o.valid_until_ms_;
      auto it = o.in_flight_.find(election_id);
      if (--it->second == 0) o.in_flight_.erase(it);
      if (--o.in_flight_total_ == 0) o.in_flight_cv_.NotifyAll();
    }
    if (s.ok() && !held) {
      s = Status(Code::kUnavailable,
                 "this ingest node's lease lapsed before the vote was durable, so it may be "
                 "behind a close: its fate is unknown; look up the receipt of vote " +
                     vote_id);
    }
    done(s);
  });
}

// --- the lease thread ------------------------------------------------------------------------

Status FencedLifecycle::Tick() {
  MutexLock tick(tick_mu_);
  Status s = Round();
  MutexLock lock(lease_mu_);
  last_error_ = s;
  return s;
}

Status FencedLifecycle::LastError() const {
  MutexLock lock(lease_mu_);
  return last_error_;
}

Status FencedLifecycle::Round() {
  // Renewals count from before any store call of the round: the lease was stored after this.
  const int64_t start = steady_.NowMs();
  bool renewed = false;
  if (!lease_) {
    auto fresh = leases_.Register(node_id_);
    if (!fresh.ok() && fresh.status().code() == Code::kConflict) {
      if (auto s = ClaimId(); !s.ok()) return s;
      fresh = leases_.Register(node_id_);
    }
    if (!fresh.ok()) return fresh.status();
    rival_.reset();
    lease_ = *fresh;
    acked_.clear();  // acknowledgements name the epoch: acknowledge again under this one
    renewed = true;
    // Appends made since the last lease was lost must not be answered under this one, even if
    // this round fails below and a later round (a renewal) makes the lease valid.
    MutexLock lock(lease_mu_);
    bump_on_valid_ = true;
  }
  // A node registered anew admits only once it has read the marks; a node that cannot read
  // them (or write its acknowledgements) does not renew, so its lease runs out and no close
  // waits for it longer than the TTL.
  auto marks = leases_.Closing();
  if (!marks.ok()) return marks.status();
  ApplyMarks(*marks);
  if (auto s = SendAcks(); !s.ok()) return s;
  if (!renewed && start - last_renewal_ms_ >= options_.renew_interval.count()) {
    auto r = leases_.Renew(*lease_);
    if (!r.ok()) {
      if (r.status().code() == Code::kConflict) LoseLease();
      return r.status();
    }
    lease_ = *r;
    renewed = true;
  }
  if (renewed) {
    last_renewal_ms_ = start;
    MutexLock lock(lease_mu_);
    if (bump_on_valid_) ++generation_;
    bump_on_valid_ = false;
    valid_until_ms_ = start + options_.renew_deadline.count();
  }
  return Status::Ok();
}

void FencedLifecycle::ApplyMarks(const std::vector<std::string>& marks) {
  std::vector<const std::string*> fresh;
  for (const auto& m : marks) {
    if (!closing_.contains(m)) fresh.push_back(&m);  // this thread is closing_'s only writer
  }
  if (!fresh.empty()) {
    // Waits for the votes between their admission check and their append (queued and counted
    // in in_flight_ by then); from here on their election is refused at the door.
    std::unique_lock gate(gate_);
    for (const auto* m : fresh) closing_.insert(*m);
  }
  // Read after the gate: at or after the cast_at of every vote admitted before it.
  const int64_t stopped_at = clock_.NowMs();
  for (const auto& m : marks) {
    if (acked_.contains(m) || pending_acks_.contains(m)) continue;
    // A closed election's close is complete: no closer waits for this node. Anything else is
    // acknowledged, even an election this node's catalog does not know yet (a cache behind
    // another node's create): a closer may be waiting for it.
    auto e = catalog_.Get(m);
    if (e.ok() &&
        ((*e)->status == ElectionStatus::kClosed || (*e)->status == ElectionStatus::kFinal)) {
      acked_.insert(m);
    } else {
      pending_acks_.emplace(m, stopped_at);
    }
  }
}

Status FencedLifecycle::SendAcks() {
  for (auto it = pending_acks_.begin(); it != pending_acks_.end();) {
    {
      MutexLock lock(lease_mu_);
      if (in_flight_.contains(it->first)) {  // appends queued before the stop still run
        ++it;
        continue;
      }
    }
    if (auto s = leases_.Acknowledge(it->first, {node_id_, lease_->epoch, it->second}); !s.ok()) {
      return s;
    }
    acked_.insert(it->first);
    it = pending_acks_.erase(it);
  }
  return Status::Ok();
}

void FencedLifecycle::LoseLease() {
  lease_.reset();
  acked_.clear();
  MutexLock lock(lease_mu_);
  ++generation_;  // appends of the lost lease that complete from now on are not answered 202
  valid_until_ms_ = 0;
}

Status FencedLifecycle::ClaimId() {
  auto leases = leases_.Leases();
  if (!leases.ok()) return leases.status();
  const int64_t now = steady_.NowMs();  // after the read: the lease is at least this old
  auto it = std::find_if(leases->begin(), leases->end(),
                         [&](const NodeLease& l) { return l.node_id == node_id_; });
  if (it == leases->end()) {  // removed meanwhile
    rival_.reset();
    return Status::Ok();
  }
  const Status held(Code::kUnavailable,
                    "node id " + node_id_ +
                        " is held by another lease (another process runs with this node id, or "
                        "this node restarted within the lease TTL): admitting no votes until "
                        "it has been silent for " +
                        std::to_string(options_.lease_ttl.count()) + " ms");
  if (!rival_ || rival_->lease.epoch != it->epoch) {
    spdlog::error(
        "node {}: another lease of this node id is stored (epoch {}): if another ingest process "
        "runs with the same node id, give each its own; this node takes the id over only once "
        "that lease stays unchanged for {} ms",
        node_id_, it->epoch, options_.lease_ttl.count());
    rival_ = Rival{*it, now, false};
    return held;
  }
  if (rival_->lease != *it) {  // renewed: a live process holds this node id
    if (!rival_->seen_alive) {
      spdlog::error(
          "node {}: ANOTHER LIVE PROCESS holds this node id (it renews epoch {}); "
          "this node admits no votes while it does",
          node_id_, it->epoch);
    }
    rival_ = Rival{*it, now, true};
    return held;
  }
  if (now - rival_->since_ms < options_.lease_ttl.count()) return held;
  // Unchanged for the TTL: its holder stopped admitting at least TTL - deadline ago on its own
  // clock. Expire fails if it renewed meanwhile.
  Status s = leases_.Expire(*it);
  if (!s.ok()) {
    if (s.code() == Code::kConflict) rival_.reset();
    return s.code() == Code::kConflict ? held : s;
  }
  spdlog::warn("node {}: expired the silent lease (epoch {}) stored under its node id", node_id_,
               it->epoch);
  rival_.reset();
  return Status::Ok();
}

void FencedLifecycle::Run() {
  pthread_setname_np(pthread_self(), "urna-lease");
  bool failing = false;
  for (;;) {
    Status s = Tick();
    if (!s.ok() && !failing) {
      spdlog::warn("node {}: lease round failed: {}", node_id_, s.message());
    } else if (s.ok() && failing) {
      spdlog::info("node {}: lease round succeeded again", node_id_);
    }
    failing = !s.ok();
    MutexLock lock(run_mu_);
    auto next = std::chrono::steady_clock::now() + options_.poll_interval;
    while (running_ && std::chrono::steady_clock::now() < next) run_cv_.WaitUntil(run_mu_, next);
    if (!running_) return;
  }
}

void FencedLifecycle::Start() {
  {
    MutexLock lock(run_mu_);
    if (running_ || thread_.joinable()) return;
    running_ = true;
  }
  thread_ = std::thread([this] { Run(); });
}

void FencedLifecycle::Stop() {
  {
    std::unique_lock gate(gate_);  // no vote is between its admission check and its append
    MutexLock lock(lease_mu_);
    if (stopped_) return;
    stopped_ = true;  // Enter refuses from here on
  }
  {
    // The lease thread keeps renewing and acknowledging meanwhile, so closes go on.
    MutexLock lock(lease_mu_);
    auto deadline = std::chrono::steady_clock::now() + options_.stop_timeout;
    while (in_flight_total_ > 0 && in_flight_cv_.WaitUntil(lease_mu_, deadline)) {
    }
  }
  {
    MutexLock lock(run_mu_);
    running_ = false;
    run_cv_.NotifyAll();
  }
  if (thread_.joinable()) thread_.join();
  MutexLock tick(tick_mu_);
  {
    MutexLock lock(lease_mu_);
    ++generation_;  // an append still in flight is not answered 202 once the lease is gone
    valid_until_ms_ = 0;
  }
  if (lease_) {
    if (auto s = leases_.Expire(*lease_); !s.ok()) {
      spdlog::warn("node {}: could not release its lease: {}", node_id_, s.message());
    }
    lease_.reset();
  }
}

// --- transitions ---------------------------------------------------------------------------

// Every transition and admin change holds its election's lock (never another's): a close
// waiting for a silent node delays no other election's open or close on this node.
Result<Election> FencedLifecycle::Open(std::string_view election_id) {
  ElectionLocks::Held transition(election_locks_, election_id);
  return Apply(catalog_, election_id, clock_.NowMs(), &OpenElection);
}

Result<Election> FencedLifecycle::Finalize(std::string_view election_id) {
  ElectionLocks::Held transition(election_locks_, election_id);
  return Apply(catalog_, election_id, clock_.NowMs(), &FinalizeElection);
}

// admin: under the election's lock, so never between an open's read and its write.
Result<Election> FencedLifecycle::EditDraft(const Election& spec) {
  ElectionLocks::Held change(election_locks_, spec.id);
  return EditDraftEntry(catalog_, spec, kWriteAttempts);
}

Status FencedLifecycle::DeleteDraft(std::string_view election_id) {
  ElectionLocks::Held change(election_locks_, election_id);
  return DeleteDraftEntry(catalog_, election_id, kWriteAttempts);
}

Result<Election> FencedLifecycle::Archive(std::string_view election_id) {
  ElectionLocks::Held change(election_locks_, election_id);
  return ArchiveEntry(catalog_, election_id, clock_.NowMs(), kWriteAttempts);
}

Result<Election> FencedLifecycle::Close(std::string_view election_id) {
  ElectionLocks::Held transition(election_locks_, election_id);
  auto cur = catalog_.Get(election_id);
  if (!cur.ok()) return cur.status();
  Election e = **cur;
  {
    Election probe = e;  // the core rule's answer for a draft
    if (auto s = CloseElection(probe, clock_.NowMs()); !s.ok()) return s;
  }
  if (e.status == ElectionStatus::kFinal) return e;  // sealed and recounted long ago
  if (e.status == ElectionStatus::kOpen) {
    // From here the election never takes votes again: a close that does not complete is
    // completed by closing again (the recount does), never undone.
    if (auto s = leases_.MarkClosing(e.id); !s.ok()) return s;
    auto stopped_at = AwaitFence(e.id);
    if (!stopped_at.ok()) return stopped_at.status();
    auto closed = WriteClosed(e.id, *stopped_at);
    if (!closed.ok()) return closed.status();
    e = *closed;
    if (e.status == ElectionStatus::kFinal) return e;
  }
  // Every vote any node answered 202 is durable in the log already: the seal goes behind
  // them. A closed election's seal is appended again (completes a close cut short).
  auto sealed = std::make_shared<std::promise<Status>>();
  std::future<Status> durable = sealed->get_future();
  log_.AppendSeal({e.id, e.closed_at_ms}, [sealed](Status s) { sealed->set_value(s); });
  if (auto s = durable.get(); !s.ok()) return s;  // durable before we say closed
  return e;
}

Result<int64_t> FencedLifecycle::AwaitFence(std::string_view election_id) {
  const int64_t deadline = steady_.NowMs() + options_.close_timeout.count();
  // Each lease not yet acknowledged, as first seen unchanged, and when (on `steady`).
  std::map<std::string, std::pair<NodeLease, int64_t>> seen;
  std::vector<std::string> waiting;
  std::string failure;
  for (;;) {
    auto e = catalog_.Get(election_id);
    if (e.ok() && (*e)->status != ElectionStatus::kOpen) return 0;  // another closer finished
    auto leases = leases_.Leases();
    auto acks = leases_.Acks(election_id);
    if (leases.ok() && acks.ok()) {
      const int64_t now = steady_.NowMs();  // after the read: the leases are at least this old
      int64_t latest = 0;
      waiting.clear();
      for (const auto& lease : *leases) {
        auto ack = std::find_if(acks->begin(), acks->end(), [&](const CloseAck& a) {
          return a.node_id == lease.node_id && a.epoch == lease.epoch;
        });
        if (ack != acks->end()) {
          latest = std::max(latest, ack->stopped_at_ms);
          continue;
        }
        auto it = seen.find(lease.node_id);
        if (it == seen.end() || it->second.first != lease) {
          seen[lease.node_id] = {lease, now};
        } else if (now - it->second.second >= options_.lease_ttl.count()) {
          // Unchanged for the TTL: the node stopped admitting at least TTL - deadline ago on
          // its own clock. Expire fails if it renewed meanwhile.
          Status s = leases_.Expire(lease);
          if (s.ok()) {
            spdlog::warn("close of {}: expired the lease of silent ingest node {}", election_id,
                         lease.node_id);
            continue;
          }
          if (s.code() == Code::kConflict) seen.erase(lease.node_id);
        }
        waiting.push_back(lease.node_id);
      }
      if (waiting.empty()) return latest;
      failure = "ingest nodes " + Join(waiting) + " have not acknowledged";
    } else {
      failure = (leases.ok() ? acks.status() : leases.status()).message();
    }
    if (steady_.NowMs() >= deadline) {
      return Status(Code::kUnavailable, "the close of " + std::string(election_id) +
                                            " did not complete (" + failure +
                                            "); it takes no more votes: close it again");
    }
    std::this_thread::sleep_for(options_.poll_interval);
  }
}

Result<Election> FencedLifecycle::WriteClosed(std::string_view election_id, int64_t not_before_ms) {
  // A conflict is another process's write of the same entry since this one read it (the
  // catalog's version condition): read again and decide on the stored state (another closer's
  // closed_at, which it sealed with).
  Status last;
  for (int attempt = 0; attempt < kWriteAttempts; ++attempt) {
    auto cur = catalog_.Get(election_id);
    if (!cur.ok()) return cur.status();
    Election e = **cur;
    if (e.status != ElectionStatus::kOpen) return e;  // another closer wrote it
    if (auto s = CloseElection(e, std::max(clock_.NowMs(), not_before_ms)); !s.ok()) return s;
    last = catalog_.Update(e);
    if (last.ok()) return e;
    if (last.code() != Code::kConflict) return last;
  }
  return last;
}

}  // namespace urna
