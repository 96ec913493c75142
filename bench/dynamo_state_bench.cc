// Processor throughput against DynamoDB (dynalite here): N votes from V voters (so N - V
// duplicates) in an in-memory log of P partitions, one PartitionProcessor thread per partition
// over DynamoProcessorState, until every partition is checkpointed at its end. Prints votes/s,
// this process's CPU per vote and the whole machine's (which includes dynalite's; other load on
// the machine counts too). dynalite is not DynamoDB: its own CPU is most of the cost here.
// Run: URNA_TEST_NODE=$(command -v node) URNA_TEST_DYNALITE=tests/servers/dynalite_server.js \
//        build/release/bench/dynamo_state_bench [--votes 20000] [--voters 10000]
//        [--partitions 4] [--batch 1000] [--shards 64] [--endpoint URL]
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "adapters/dynamodb/dynamo_processor_state.h"
#include "adapters/dynamodb/test_servers.h"
#include "adapters/memory/memory_catalog.h"
#include "adapters/memory/memory_read_model.h"
#include "adapters/memory/memory_vote_log.h"
#include "core/uuid7.h"
#include "processor/partition_processor.h"

using namespace urna;
using Steady = std::chrono::steady_clock;

namespace {

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// Busy CPU seconds of the whole machine (/proc/stat: all but idle and iowait).
double MachineBusySeconds() {
  std::ifstream f("/proc/stat");
  std::string cpu;
  unsigned long long v[10] = {};
  f >> cpu;
  for (auto& x : v) f >> x;
  unsigned long long busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
  return static_cast<double>(busy) / sysconf(_SC_CLK_TCK);
}

}  // namespace

int main(int argc, char** argv) {
  int votes = 20000, voters = 10000, partitions = 4, batch = 1000, shards = 64;
  std::string endpoint;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--endpoint") {
      endpoint = argv[i + 1];
      continue;
    }
    int v = std::atoi(argv[i + 1]);
    if (flag == "--votes")
      votes = v;
    else if (flag == "--voters")
      voters = v;
    else if (flag == "--partitions")
      partitions = v;
    else if (flag == "--batch")
      batch = v;
    else if (flag == "--shards")
      shards = v;
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  if (votes <= 0 || voters <= 0 || partitions <= 0 || batch <= 0 || shards <= 0) {
    std::fprintf(stderr, "every number must be > 0\n");
    return 2;
  }
  std::unique_ptr<dynamodb::testing::Dynalite> dynalite;
  if (endpoint.empty()) {
    auto d = dynamodb::testing::Dynalite::Start();
    if (!d.ok()) {
      std::fprintf(stderr, "%s\n", d.status().message().c_str());
      return 1;
    }
    dynalite = std::move(*d);
    endpoint = dynalite->endpoint();
  }
  auto client = dynamodb::MakeCurlClient(dynamodb::testing::TestConfig(endpoint));
  if (!client.ok()) return 1;
  dynamodb::StateTables tables;
  tables.prefix = dynamodb::testing::UniqueName("bench") + "-";
  tables.ledger_shards = static_cast<uint32_t>(shards);
  for (const auto& spec : dynamodb::StateTableSpecs(tables.prefix)) {
    if (auto made = dynamodb::EnsureTable(**client, spec); !made.ok()) {
      std::fprintf(stderr, "%s\n", made.status().message().c_str());
      return 1;
    }
  }
  memory::MemoryCatalog catalog;
  Election e{"e1", "Bench", {{"a", "A"}, {"b", "B"}}, ElectionStatus::kDraft, 0, 0, 0};
  (void)OpenElection(e, 1);
  (void)catalog.Create(e);
  memory::MemoryLog log(static_cast<uint32_t>(partitions));
  for (int i = 0; i < votes; ++i) {
    std::string voter = "voter-" + std::to_string(i % voters);
    log.Append({NewUuid7(1000 + i), "e1", i % 3 ? "a" : "b", voter, 1000 + i, "n"}, [](Status) {});
  }
  dynamodb::DynamoProcessorState state(**client, tables);
  memory::MemoryReadModel rm;

  const double cpu0 = CpuSeconds(), busy0 = MachineBusySeconds();
  const auto t0 = Steady::now();
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int p = 0; p < partitions; ++p) {
    threads.emplace_back([&, p] {
      PartitionProcessor proc(static_cast<uint32_t>(p), log, state, catalog, rm,
                              static_cast<size_t>(batch));
      const uint64_t end = *log.EndOffset(static_cast<uint32_t>(p));
      for (int attempt = 0; proc.stats().next_offset < end && attempt < 100000; ++attempt) {
        auto n = proc.Step(std::chrono::milliseconds(0));
        if (!n.ok()) {
          ++failed;
          std::fprintf(stderr, "partition %d: %s\n", p, n.status().message().c_str());
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  const double secs = std::chrono::duration<double>(Steady::now() - t0).count();
  const double cpu = CpuSeconds() - cpu0, busy = MachineBusySeconds() - busy0;

  uint64_t counted = 0;
  for (int p = 0; p < partitions; ++p) {
    auto st = state.Load(static_cast<uint32_t>(p));
    if (st.ok()) {
      for (const auto& [option, n] : st->tally.elections["e1"]) counted += n;
    }
  }
  std::printf("votes %d voters %d partitions %d batch %d shards %d: %.2f s, %.0f votes/s\n", votes,
              voters, partitions, batch, shards, secs, votes / secs);
  std::printf("counted %llu (expected %d), failed steps %d\n",
              static_cast<unsigned long long>(counted), std::min(votes, voters), failed.load());
  std::printf("CPU per vote: this process %.1f us, whole machine %.1f us (dynalite included)\n",
              cpu / votes * 1e6, busy / votes * 1e6);
  return counted == static_cast<uint64_t>(std::min(votes, voters)) ? 0 : 1;
}
