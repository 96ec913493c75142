// VoteProbe: an off-by-default stopwatch of a single vote's round trip through the server, stage
// by stage (docs/performance/single-votes.md: where the round trip's time goes). On only
// when URNA_VOTE_PROBE=1 is in the environment at start; then each stage's durations go into a
// histogram (1 us buckets up to 50 ms) and the process prints, at exit, each stage's count, p50,
// p90 and p99 on stderr. Off, each probe point costs one load of a constant bool.
// A diagnostic, not a metric: the stages are the vote path's hand-offs (net's session, the vote
// log's appender), and their names may change with it. Process-wide; Record is thread-safe
// (relaxed atomic counters); the report runs once, at static destruction.
// Header-only like the rest of src/sync (a single instance through inline variables).
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace urna::probe {

enum Stage : int {
  kHandle,      // request read -> its vote appended to the log (route, token, body, ingest checks)
  kQueued,      // appended -> taken off the log's queue by the appender
  kWrite,       // taken -> the batch's write + fsync returned (per vote)
  kPost,        // write returned -> the vote's completion runs on its network thread
  kRespond,     // the route calls respond -> the session starts writing the answer
  kServer,      // request read -> the session starts writing the answer (every request)
  kSent,        // the session starts writing -> its write handler runs
  kIdle,        // write handler -> the next request of the connection is read (client + kernel +
                // the network thread's queue)
  kBatchFsync,  // per batch: RocksDB's fsync time inside the write (IOStatsContext)
  kBatchWal,    // per batch: RocksDB's WAL write time, its sync included (PerfContext)
  kBatchVotes,  // per batch: votes in it (a count, not microseconds)
  kBatchTotal,  // per batch: taken -> write returned
  kBatchWait,   // per batch: waiting in RocksDB's write queue (other writers: the processor)
  kBatchMemtable,  // per batch: memtable inserts
  kStages
};

inline constexpr const char* kStageNames[kStages] = {"handle (read -> appended)",
                                                     "queued (appended -> taken)",
                                                     "write+fsync (per vote)",
                                                     "post (written -> completion)",
                                                     "respond (respond -> write)",
                                                     "server (read -> write)",
                                                     "sent (write -> handler)",
                                                     "idle (handler -> next read)",
                                                     "batch: fsync",
                                                     "batch: WAL+sync",
                                                     "batch: votes (count)",
                                                     "batch: taken -> written",
                                                     "batch: RocksDB write queue",
                                                     "batch: memtable"};

inline const bool kEnabled = [] {
  const char* v = std::getenv("URNA_VOTE_PROBE");
  return v != nullptr && std::strcmp(v, "1") == 0;
}();

inline bool Enabled() { return kEnabled; }

// Nanoseconds of the steady clock (0 when off, so callers may stamp unconditionally).
inline int64_t Now() {
  if (!kEnabled) return 0;
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

class Histograms {
 public:
  static constexpr int kBuckets = 50'000;  // 1 us each; the last holds everything above

  Histograms() {
    if (kEnabled) counts_ = std::make_unique<std::atomic<uint64_t>[]>(kStages * kBuckets);
  }
  ~Histograms() {
    if (counts_) Print();
  }

  void Add(Stage s, int64_t value) {
    if (!counts_) return;
    const int64_t b = std::clamp<int64_t>(value, 0, kBuckets - 1);
    counts_[s * kBuckets + b].fetch_add(1, std::memory_order_relaxed);
  }

  void Print() const {
    std::fprintf(stderr, "vote probe (us; batch: votes is a count)\n%-30s %10s %8s %8s %8s %8s\n",
                 "stage", "count", "mean", "p50", "p90", "p99");
    for (int s = 0; s < kStages; ++s) {
      uint64_t n = 0;
      double sum = 0;
      for (int b = 0; b < kBuckets; ++b) {
        const uint64_t c = counts_[s * kBuckets + b].load(std::memory_order_relaxed);
        n += c;
        sum += static_cast<double>(c) * b;
      }
      if (n == 0) continue;
      auto at = [&](double q) {
        uint64_t seen = 0;
        for (int b = 0; b < kBuckets; ++b) {
          seen += counts_[s * kBuckets + b].load(std::memory_order_relaxed);
          if (static_cast<double>(seen) >= q * static_cast<double>(n)) return b;
        }
        return kBuckets - 1;
      };
      std::fprintf(stderr, "%-30s %10llu %8.0f %8d %8d %8d\n", kStageNames[s],
                   static_cast<unsigned long long>(n), sum / static_cast<double>(n), at(0.5),
                   at(0.9), at(0.99));
    }
  }

 private:
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
};

inline Histograms histograms;

// Records the duration from `from_ns` to `to_ns` (both from Now()) under `s`, in microseconds.
inline void Record(Stage s, int64_t from_ns, int64_t to_ns) {
  if (!kEnabled || from_ns == 0) return;
  histograms.Add(s, (to_ns - from_ns) / 1000);
}
// Records a plain value (a count, or microseconds already) under `s`.
inline void RecordValue(Stage s, int64_t value) {
  if (kEnabled) histograms.Add(s, value);
}

// When the request being handled on this thread was read (0: none, or off): set by the HTTP
// session around its handler, read by the vote log's Append on the same thread.
inline thread_local int64_t request_read_ns = 0;

}  // namespace urna::probe
