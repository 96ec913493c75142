#include "audit/recount.h"

#include <pthread.h>

#include <algorithm>
#include <ctime>
#include <optional>
#include <set>
#include <thread>
#include <utility>

#include "audit/ledger_export.h"
#include "core/dedupe.h"

namespace urna {
namespace {

using Steady = std::chrono::steady_clock;

// Why a pass stopped early because the other one failed: only returned when no cause was
// recorded (it is not: Fail records one before setting stop), kept as a fallback.
const char kStopped[] = "recount stopped: the other pass failed";

// Log entries per Read of the replay: small enough that a batch (a fresh vector per Read, its
// entries and their strings) stays in cache while it is decided, large enough that a Read's
// fixed cost (an iterator, a Kafka poll) is spread thin.
constexpr uint64_t kReadBatch = 4096;
// Bound on the voters a replay thread's dedupe reserves room for up front (its table: 9-18
// bytes a voter, so at most ~72 MB; the voters' records, ~40 bytes each, come as they are seen).
constexpr uint64_t kMaxReservedVoters = uint64_t{1} << 22;

// CPU time of the calling thread, in seconds.
double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Measures one pass on the thread that runs it.
class PassTimer {
 public:
  explicit PassTimer(RecountPass& pass)
      : pass_(pass), wall0_(Steady::now()), cpu0_(ThreadCpuSeconds()) {}
  ~PassTimer() {
    pass_.wall_s = std::chrono::duration<double>(Steady::now() - wall0_).count();
    pass_.cpu_s = ThreadCpuSeconds() - cpu0_;
  }

 private:
  RecountPass& pass_;
  Steady::time_point wall0_;
  double cpu0_;
};

}  // namespace

double ProgressFraction(uint64_t done, uint64_t total) {
  return total ? std::min(1.0, static_cast<double>(done) / static_cast<double>(total)) : 0.0;
}

const char* RecountProgress::PhaseName(int phase) {
  switch (phase) {
    case kSealing:
      return "waiting_for_seals";
    case kLedger:
      return "counting_ledger";
    case kReplay:
      return "replaying_log";
    default:
      return "done";
  }
}

Status Recounter::WaitForSeals(const Election& e, RecountProgress& progress,
                               std::chrono::milliseconds timeout, OptionCounts* live) {
  const uint32_t n = deps_.log.partitions();
  progress.phase = RecountProgress::kSealing;
  progress.total = n;
  bool appended = false;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    live->clear();
    uint32_t sealed = 0;
    for (uint32_t p = 0; p < n; ++p) {
      auto st = deps_.state.Load(p);
      if (!st.ok()) return st.status();
      if (!st->sealed.contains(e.id)) continue;
      ++sealed;
      if (auto it = st->tally.elections.find(e.id); it != st->tally.elections.end()) {
        for (const auto& [option, count] : it->second) (*live)[option] += count;
      }
    }
    progress.done = sealed;
    if (sealed == n) return Status::Ok();
    if (!appended) {
      // A close cut short between the catalog update and the seal leaves no seal: closing
      // again appends it (a second seal is passed over by processors that saw the first).
      if (auto c = deps_.lifecycle.Close(e.id); !c.ok()) return c.status();
      appended = true;
    }
    if (progress.cancel) return Status(Code::kUnavailable, "recount cancelled");
    if (std::chrono::steady_clock::now() > deadline) {
      return Status(Code::kUnavailable, std::to_string(n - sealed) + " of " + std::to_string(n) +
                                            " partitions have not processed the seal yet");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// The ledger pass, on its own thread while the replay runs on the caller's.
Status Recounter::CountLedger(const Election& e, LedgerExport& exporter, RecountProgress& progress,
                              const std::atomic<bool>& stop, RecountReport& r) {
  PassTimer timer(r.ledger_pass);
  uint64_t unreported = 0;  // progress is shared with the replay: one atomic add per 4096 rows
  auto ledger = exporter.Run(
      deps_.ledger, e.id, {},
      [&progress, &unreported] {
        if (++unreported == 4096) progress.done += std::exchange(unreported, 0);
      },
      [&progress, &stop] { return progress.cancel || stop; });
  progress.done += unreported;
  if (!ledger.ok()) return ledger.status();
  r.ledger = ledger->counts;
  r.ledger_rows = ledger->rows;
  r.ledger_digest = ledger->digest_hex;
  r.ledger_pass.items = ledger->rows;
  return Status::Ok();
}

namespace {

// Decides one partition's entries of the election in log order, into a ReplayShare's counts.
// Voters are partitioned, so a fresh dedupe per partition is a full dedupe: the live
// processor's rule (core/dedupe.h) with the same inputs (log order, never a clock reading), so a
// vote counted live is counted here, whatever the clock did before the close. The dedupe is the
// replay thread's, cleared here: fresh, in the memory of the thread's previous partition.
class PartitionReplay {
 public:
  PartitionReplay(const Election& e, uint64_t end, VoteDedupe& dedupe, uint64_t& log_entries,
                  uint64_t& counted, uint64_t& duplicate, OptionCounts& replay,
                  std::map<std::string, uint64_t>& rejected)
      : e_(e),
        policy_(VotePolicyOf(&e)),
        dedupe_(dedupe),
        log_entries_(log_entries),
        counted_(counted),
        duplicate_(duplicate),
        replay_(replay),
        rejected_(rejected) {
    dedupe_.Clear();
    // At most one voter per entry; capped so a long log of many elections reserves little.
    dedupe_.Reserve(std::min<uint64_t>(end, kMaxReservedVoters));
  }

  // "Before the close" is the seal's place in the partition.
  void Seal(std::string_view election_id) { behind_seal_ = behind_seal_ || election_id == e_.id; }

  // A vote of this election (the caller skips the others).
  void Vote(const VoteEvent& vote) {
    ++log_entries_;
    Verdict v = dedupe_.Decide(&e_, vote, nullptr, behind_seal_, policy_).verdict;
    switch (v.outcome) {
      case Outcome::kCounted:
        // The map's node for the last option counted: most votes skip the look-up.
        if (last_ == nullptr || last_option_ != vote.option_id) {
          last_ = &replay_[vote.option_id];
          last_option_ = vote.option_id;
        }
        ++*last_;
        ++counted_;
        break;
      case Outcome::kDuplicate:
        ++duplicate_;
        break;
      default:
        ++rejected_[std::string(v.reason)];
        break;
    }
  }

 private:
  const Election& e_;
  const VotePolicy policy_;
  bool behind_seal_ = false;
  VoteDedupe& dedupe_;
  uint64_t &log_entries_, &counted_, &duplicate_;
  OptionCounts& replay_;
  std::map<std::string, uint64_t>& rejected_;
  uint64_t* last_ = nullptr;
  std::string last_option_;
};

}  // namespace

// The replay of one partition, into its own share of the results (merged after both threads).
Status Recounter::ReplayPartition(const Election& e, uint32_t p, uint64_t end, VoteDedupe& dedupe,
                                  RecountProgress& progress, const std::atomic<bool>& stop,
                                  ReplayShare& out) {
  PartitionReplay replay(e, end, dedupe, out.log_entries, out.counted, out.duplicate, out.replay,
                         out.rejected);
  if (LogScanner* scanner = deps_.reader.scanner()) {
    // One long read handing out views: the entry's fields are copied into one reused VoteEvent
    // (its strings keep their capacity), so an entry costs no allocation here.
    VoteEvent vote;
    uint64_t unreported = 0;
    Status stopped = Status::Ok();
    auto s = scanner->Scan(p, 0, end, [&](const LogEntryView& entry) {
      if (++unreported == kReadBatch) {
        progress.done += unreported;
        out.items += std::exchange(unreported, 0);
        if (progress.cancel) stopped = Status(Code::kUnavailable, "recount cancelled");
        if (stop) stopped = Status(Code::kUnavailable, kStopped);
        if (!stopped.ok()) return false;
      }
      if (entry.seal) {
        replay.Seal(entry.election_id);
      } else if (entry.election_id == e.id) {
        vote.vote_id.assign(entry.vote_id);
        vote.election_id.assign(entry.election_id);
        vote.option_id.assign(entry.option_id);
        vote.voter_id.assign(entry.voter_id);
        vote.ingest_time_ms = entry.ingest_time_ms;
        replay.Vote(vote);
      }
      return true;
    });
    progress.done += unreported;
    out.items += unreported;
    if (!s.ok()) return s;
    return stopped;
  }
  int empty_reads = 0;
  for (uint64_t from = 0; from < end;) {
    auto batch = deps_.reader.Read(p, from, std::min<uint64_t>(kReadBatch, end - from),
                                   std::chrono::milliseconds(500));
    if (!batch.ok()) return batch.status();
    // Checked after every Read, empty or not: a Kafka Read may wait ~500 ms.
    if (progress.cancel) return Status(Code::kUnavailable, "recount cancelled");
    if (stop) return Status(Code::kUnavailable, kStopped);
    if (batch->empty()) {
      // The entries below `end` are durable, but a reader may answer empty while it
      // positions itself (Kafka: assigning the partition, seeking; each Read returns as soon
      // as entries are there): give up after ~10 s of empty reads.
      if (++empty_reads > 20) return Status(Code::kInternal, "log partition ends early");
      continue;
    }
    empty_reads = 0;
    for (const auto& entry : *batch) {
      if (entry.offset >= end) break;
      if (entry.seal) {
        replay.Seal(entry.seal->election_id);
      } else if (entry.vote.election_id == e.id) {
        replay.Vote(entry.vote);
      }
    }
    from = batch->back().offset + 1;
    progress.done += batch->size();
    out.items += batch->size();
  }
  return Status::Ok();
}

// Takes partitions to replay until none is left (or a pass failed); run by both threads.
// Never throws: an exception (bad_alloc in the dedupe) becomes the partition's Status.
void Recounter::ReplayWorker(const Election& e, ReplayWork& work, int worker,
                             RecountProgress& progress) {
  // The thread's dedupe: one partition's at a time, its memory reused by the next (no fresh
  // pages to fault in, no allocation per partition). Made with the first partition taken.
  std::optional<VoteDedupe> dedupe;
  for (uint32_t p; !work.stop && !progress.cancel && (p = work.next++) < work.shares.size();) {
    work.took[worker] = true;
    ReplayShare& share = work.shares[p];
    double cpu0 = ThreadCpuSeconds();
    try {
      if (!dedupe) dedupe.emplace(/*cite_counted_vote=*/false);
      share.status = ReplayPartition(e, p, work.ends[p], *dedupe, progress, work.stop, share);
    } catch (const std::exception& ex) {
      share.status = Status(Code::kInternal, std::string("recount replay: ") + ex.what());
    }
    share.cpu_s = ThreadCpuSeconds() - cpu0;
    if (!share.status.ok()) work.Fail(share.status);
  }
  if (work.took[worker]) work.finished[worker] = Steady::now();
}

Result<RecountReport> Recounter::Run(std::string_view election_id, RecountProgress& progress,
                                     std::chrono::milliseconds seal_timeout) {
  auto got = deps_.catalog.Get(election_id);
  if (!got.ok()) return got.status();
  RecountReport r;
  r.election = **got;
  r.started_at_ms = deps_.clock.NowMs();
  if (auto s = CheckClosedFor(r.election, kRecountWhat); !s.ok()) return s;
  if (auto s = WaitForSeals(r.election, progress, seal_timeout, &r.live); !s.ok()) return s;
  r.sealed_at_ms = deps_.clock.NowMs();

  // Both passes at once: the ledger's rows (expected: the live total) plus the log's entries.
  // The ledger pass runs on a thread of its own, then helps with what is left of the replay;
  // the caller's thread replays partitions from the start. Partitions are replayed whole, each
  // by one thread, so each is decided in log order.
  ReplayWork work(deps_.log.partitions());
  uint64_t log_total = 0;
  for (uint32_t p = 0; p < work.ends.size(); ++p) {
    auto end = deps_.reader.EndOffset(p);
    if (!end.ok()) return end.status();
    work.ends[p] = *end;
    log_total += *end;
  }
  progress.done = 0;
  progress.total = (r.live.empty() ? 0 : Total(r.live)) + log_total;
  progress.phase = RecountProgress::kLedger;
  // Built here, not on the thread: a constructor that throws must not reach std::terminate.
  LedgerExport exporter(deps_.audit_key, deps_.export_buffer_rows);
  const auto replay_start = Steady::now();
  Status ledger_status = Status::Ok();
  {
    // On every way out of this block (an exception included) the other thread is told to stop
    // and joined, so a joinable std::thread is never destroyed.
    struct JoinGuard {
      ReplayWork& work;
      std::thread& t;
      ~JoinGuard() {
        if (t.joinable()) {
          work.stop = true;
          t.join();
        }
      }
    };
    std::thread ledger_thread([&] {
      pthread_setname_np(pthread_self(), "urna-recount");
      try {
        ledger_status = CountLedger(r.election, exporter, progress, work.stop, r);
      } catch (const std::exception& ex) {
        ledger_status = Status(Code::kInternal, std::string("recount ledger pass: ") + ex.what());
      }
      if (!ledger_status.ok()) work.Fail(ledger_status);
      // The replay may still run: the phase names what is left.
      int expected = RecountProgress::kLedger;
      progress.phase.compare_exchange_strong(expected, RecountProgress::kReplay);
      ReplayWorker(r.election, work, 1, progress);
    });
    JoinGuard guard{work, ledger_thread};
    ReplayWorker(r.election, work, 0, progress);
    ledger_thread.join();
  }
  // A cancel stays its own message; otherwise the first failure is the cause (a pass stopped
  // because of it says only that).
  if (progress.cancel) return Status(Code::kUnavailable, "recount cancelled");
  if (!work.first_error.ok()) return work.first_error;
  for (const ReplayShare& share : work.shares) {
    if (!share.status.ok()) return share.status;
  }
  if (!ledger_status.ok()) return ledger_status;
  for (const ReplayShare& share : work.shares) {  // in partition order
    r.log_entries += share.log_entries;
    r.counted += share.counted;
    r.duplicate += share.duplicate;
    for (const auto& [o, n] : share.replay) r.replay[o] += n;
    for (const auto& [reason, n] : share.rejected) r.rejected[reason] += n;
    r.replay_pass.items += share.items;
    r.replay_pass.cpu_s += share.cpu_s;
  }
  Steady::time_point replay_end = replay_start;  // no partition at all: zero
  for (int w = 0; w < 2; ++w) {
    if (work.took[w]) replay_end = std::max(replay_end, work.finished[w]);
  }
  r.replay_pass.wall_s = std::chrono::duration<double>(replay_end - replay_start).count();

  std::set<std::string> options;
  for (const auto* m : {&r.live, &r.ledger, &r.replay}) {
    for (const auto& [o, n] : *m) options.insert(o);
  }
  for (const auto& o : options) {
    OptionDifference d{o, CountOf(r.live, o), CountOf(r.ledger, o), CountOf(r.replay, o)};
    if (d.live != d.ledger || d.ledger != d.replay) r.differences.push_back(d);
  }
  r.agree = r.differences.empty();
  if (r.agree && r.election.status == ElectionStatus::kClosed) {
    auto e = deps_.lifecycle.Finalize(r.election.id);
    if (!e.ok()) return e.status();
    r.election = std::move(*e);
  }
  r.finalized = r.election.status == ElectionStatus::kFinal;
  r.finished_at_ms = deps_.clock.NowMs();
  progress.phase = RecountProgress::kDone;
  return r;
}

}  // namespace urna
