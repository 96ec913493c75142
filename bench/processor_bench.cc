// Processor speed (dedupe + count + commit) on the embedded store. Fills a fresh data dir with
// votes through the real group-commit EmbeddedVoteLog (nothing processes them yet), then starts
// the real Processor over it and times how long it takes to count everything. Prints votes/s by
// the wall clock AND votes per CPU-second of the processor threads ("urna-process": dedupe,
// count, the commit's WriteBatch, the log read), taken from each thread's own CPU clock
// (/proc/self/task/<tid>/schedstat, nanoseconds on the CPU), so the figure holds on a loaded
// machine where the wall-clock rate does not. RocksDB's background threads (flushes,
// compactions the commits cause) are printed apart, and the whole process's CPU with them.
//
// Run: build/release/bench/processor_bench [--votes 2000000] [--votes-per-voter N]
//        [--repeat R] [--workers W] [--partitions P] [--dir DIR]
//   --votes-per-voter N  the election's votes_per_voter (1 = one per voter, the default)
//   --repeat R           each voter casts R votes (voters = votes / R), spread over the stream
//                        (voter i % voters), so repeats fall in later batches and are
//                        decided against the voter index, not only within a batch
#include <dirent.h>
#include <time.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>

#include "adapters/embedded/db.h"
#include "adapters/embedded/local_read_model.h"
#include "adapters/embedded/rocksdb_catalog.h"
#include "adapters/embedded/rocksdb_processor_state.h"
#include "adapters/embedded/rocksdb_vote_log.h"
#include "core/uuid7.h"
#include "processor/processor.h"

using namespace urna;
using Steady = std::chrono::steady_clock;

namespace {

double Seconds(Steady::time_point a, Steady::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// CPU nanoseconds of this process's threads, summed by kind: the processor's workers, RocksDB's
// background threads, and all threads.
struct ThreadCpu {
  uint64_t processor = 0, rocksdb = 0, all = 0;
};

ThreadCpu ReadThreadCpu() {
  ThreadCpu out;
  DIR* d = opendir("/proc/self/task");
  if (d == nullptr) return out;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::string base = std::string("/proc/self/task/") + e->d_name;
    std::ifstream comm(base + "/comm"), sched(base + "/schedstat");
    std::string name;
    uint64_t ns = 0;
    if (!std::getline(comm, name) || !(sched >> ns)) continue;
    out.all += ns;
    if (name == "urna-process") out.processor += ns;
    if (name.starts_with("rocksdb:")) out.rocksdb += ns;
  }
  closedir(d);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t n = 2'000'000, repeat = 1;
  uint32_t votes_per_voter = 1, partitions = 8;
  int workers = 2;
  std::string dir = (std::filesystem::temp_directory_path() /
                     ("urna-processor-bench-" + std::to_string(std::random_device{}())))
                        .string();
  for (int i = 1; i < argc; i += 2) {
    const char* flag = argv[i];
    if (i + 1 >= argc) return std::fprintf(stderr, "%s needs a value\n", flag), 2;
    const char* value = argv[i + 1];
    try {
      if (!std::strcmp(flag, "--votes")) {
        n = std::stoull(value);
      } else if (!std::strcmp(flag, "--votes-per-voter")) {
        votes_per_voter = std::stoul(value);
      } else if (!std::strcmp(flag, "--repeat")) {
        repeat = std::max<uint64_t>(1, std::stoull(value));
      } else if (!std::strcmp(flag, "--workers")) {
        workers = std::stoi(value);
      } else if (!std::strcmp(flag, "--partitions")) {
        partitions = std::stoul(value);
      } else if (!std::strcmp(flag, "--dir")) {
        dir = value;
      } else {
        return std::fprintf(stderr, "unknown flag %s\n", flag), 2;
      }
    } catch (const std::exception&) {
      return std::fprintf(stderr, "%s: not a number: %s\n", flag, value), 2;
    }
  }
  if (n == 0 || workers < 1 || partitions < 1) {
    return std::fprintf(stderr, "--votes, --workers and --partitions must be at least 1\n"), 2;
  }
  const uint64_t voters = std::max<uint64_t>(1, n / repeat);
  std::printf(
      "processor bench: %llu votes by %llu voters, votes_per_voter %u, %u partitions, %d "
      "workers, data dir %s\n",
      static_cast<unsigned long long>(n), static_cast<unsigned long long>(voters), votes_per_voter,
      partitions, workers, dir.c_str());
  SystemClock clock;
  auto db = embedded::EmbeddedDb::Open(dir, partitions);
  if (!db.ok()) return std::fprintf(stderr, "%s\n", db.status().message().c_str()), 1;
  auto catalog = std::move(*embedded::EmbeddedCatalog::Open(**db));
  embedded::EmbeddedVoteLog log(**db);
  embedded::EmbeddedProcessorState state(**db);
  embedded::LocalReadModel read_model(clock);
  Election e{"bench",
             "Bench",
             {{"a", "A"}, {"b", "B"}, {"c", "C"}, {"d", "D"}},
             ElectionStatus::kDraft,
             clock.NowMs()};
  e.votes_per_voter = votes_per_voter;
  OpenElection(e, clock.NowMs() - 1);
  if (auto s = catalog->Create(e); !s.ok()) {
    return std::fprintf(stderr, "create: %s\n", s.message().c_str()), 1;
  }

  // Fill through the group-commit log, at most 64k appends in flight.
  auto t0 = Steady::now();
  std::atomic<uint64_t> acked{0}, failed{0};
  const char* options[] = {"a", "b", "c", "d"};
  for (uint64_t i = 0; i < n; ++i) {
    while (i - acked - failed > 65536) std::this_thread::yield();
    int64_t now = clock.NowMs();
    log.Append(
        {NewUuid7(now), "bench", options[i % 4], "voter-" + std::to_string(i % voters), now, "b"},
        [&](Status s) { (s.ok() ? acked : failed)++; });
  }
  // Bounded: a log that stops acknowledging fails the bench instead of hanging it.
  for (auto deadline = Steady::now() + std::chrono::minutes(10); acked + failed < n;) {
    if (Steady::now() > deadline) return std::fprintf(stderr, "fill: no end in 10 min\n"), 1;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  auto t1 = Steady::now();
  std::printf("fill:      %.1f s, %.0f votes/s durable, %llu failed\n", Seconds(t0, t1),
              n / Seconds(t0, t1), static_cast<unsigned long long>(failed.load()));
  if (failed > 0) return 1;

  // Process: the workers start on a log that holds everything already.
  ProcessorOptions popts;
  popts.workers = workers;
  Processor processor((*db)->partitions(), log, state, *catalog, read_model, popts);
  ThreadCpu c0 = ReadThreadCpu();
  auto p0 = Steady::now();
  processor.Start();
  // Bounded: a processor that makes no progress for 60 s fails the bench instead of hanging it.
  auto moved = Steady::now();
  for (uint64_t last = 0, now = 0; (now = processor.totals().processed_offsets) < n;) {
    if (now != last) moved = Steady::now(), last = now;
    if (Steady::now() - moved > std::chrono::seconds(60)) {
      processor.Stop();
      return std::fprintf(stderr, "process: stuck at %llu of %llu offsets for 60 s\n",
                          static_cast<unsigned long long>(now), static_cast<unsigned long long>(n)),
             1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  auto p1 = Steady::now();
  ThreadCpu c1 = ReadThreadCpu();  // before Stop: the workers' tasks are gone once joined
  processor.Stop();
  const ProcessorTotals t = processor.totals();

  // Baseline, after the processor (so its own run is the same as without this pass): the log read
  // alone, batch by batch as the processor reads it, on this thread's CPU clock. The processor's
  // CPU less this is dedupe + count + commit. (With votes coming in, the processor reads the
  // log's tail, which the log may serve from memory.)
  double read_cpu = 0;
  {
    timespec a{}, b{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
    uint64_t got = 0;
    for (uint32_t p = 0; p < (*db)->partitions(); ++p) {
      for (uint64_t from = 0;;) {
        auto r = log.Read(p, from, 4096, std::chrono::milliseconds(0));
        if (!r.ok()) {
          return std::fprintf(stderr, "read: partition %u: %s\n", p, r.status().message().c_str()),
                 1;
        }
        if (r->empty()) break;
        from = r->back().offset + 1;
        got += r->size();
      }
    }
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
    read_cpu = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
    if (got != n) {
      return std::fprintf(stderr, "read: %llu entries, want %llu\n",
                          static_cast<unsigned long long>(got), static_cast<unsigned long long>(n)),
             1;
    }
    std::printf("read:      the log read alone: %llu entries, %.2f s CPU, %.2f us/vote\n",
                static_cast<unsigned long long>(got), read_cpu, read_cpu * 1e6 / got);
  }

  const double wall = Seconds(p0, p1);
  const double proc_cpu = (c1.processor - c0.processor) / 1e9;
  const double rocks_cpu = (c1.rocksdb - c0.rocksdb) / 1e9;
  const double all_cpu = (c1.all - c0.all) / 1e9;
  std::printf("process:   %.2f s wall, %.0f votes/s (wall)\n", wall, n / wall);
  std::printf(
      "           counted %llu, duplicate %llu, rejected %llu, %llu batches\n",
      static_cast<unsigned long long>(t.counted), static_cast<unsigned long long>(t.duplicate),
      static_cast<unsigned long long>(t.rejected), static_cast<unsigned long long>(t.batches));
  std::printf(
      "cpu:       processor threads %.2f s -> %.0f votes per CPU-second (%.2f us/vote); "
      "rocksdb background %.2f s; whole process %.2f s -> %.0f votes per CPU-second\n",
      proc_cpu, n / proc_cpu, proc_cpu * 1e6 / n, rocks_cpu, all_cpu, n / all_cpu);
  const double decide_cpu = proc_cpu - read_cpu;
  std::printf(
      "cpu:       without the log read (dedupe + count + commit): %.2f us/vote -> %.0f votes per "
      "CPU-second\n",
      decide_cpu * 1e6 / n, n / decide_cpu);
  // The expected fates, so a wrong count shows here too.
  // Voter j casts every vote i with i % voters == j: n / voters each, one more for the first
  // n % voters voters; of those, votes_per_voter count (all when 0: unlimited).
  const uint64_t limit = votes_per_voter == 0 ? UINT64_MAX : votes_per_voter;
  const uint64_t q = n / voters, extra = n % voters;
  const uint64_t want_counted =
      extra * std::min<uint64_t>(q + 1, limit) + (voters - extra) * std::min<uint64_t>(q, limit);
  const bool exact = t.counted == want_counted && t.counted + t.duplicate == n && t.rejected == 0;
  std::printf("check:     expected %llu counted: %s\n",
              static_cast<unsigned long long>(want_counted), exact ? "ok" : "MISMATCH");
  std::filesystem::remove_all(dir);
  return exact ? 0 : 3;
}
