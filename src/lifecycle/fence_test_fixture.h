// The fixture of the FencedLifecycle unit tests (fenced_lifecycle_test.cc,
// fenced_races_test.cc): two or more ingest "nodes" sharing one memory catalog, log and
// lease store, and small helpers. Test-only.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "adapters/memory/memory_catalog.h"
#include "adapters/memory/memory_node_leases.h"
#include "adapters/memory/memory_vote_log.h"
#include "ingest/ingest_service.h"
#include "lifecycle/fence_test_util.h"
#include "lifecycle/fenced_lifecycle.h"

namespace urna::fence_test {

using namespace std::chrono_literals;

// Lease times for tests that run the lease threads on the real steady clock: short, so a dead
// node's lease runs out quickly, with room for a lease thread that a busy machine (or ASan)
// holds back several renewal intervals.
inline FenceOptions Quick() {
  FenceOptions o;
  o.lease_ttl = 1500ms;
  o.renew_interval = 100ms;
  o.renew_deadline = 1000ms;
  o.poll_interval = 10ms;
  o.close_timeout = 30s;
  o.stop_timeout = 10s;
  return o;
}

// Waits (bounded) until `cond` holds; false if it never did.
template <class F>
bool WaitFor(F cond, std::chrono::milliseconds limit = 30s) {
  for (auto until = std::chrono::steady_clock::now() + limit;
       std::chrono::steady_clock::now() < until;) {
    if (cond()) return true;
    std::this_thread::sleep_for(1ms);
  }
  return cond();
}

inline size_t SealCount(memory::MemoryLog& log) {
  size_t n = 0;
  for (uint32_t p = 0; p < log.partitions(); ++p) {
    auto entries = log.Read(p, 0, SIZE_MAX, {});
    for (const auto& entry : *entries) n += entry.seal.has_value();
  }
  return n;
}

// Casts one vote through `ingest` and returns its answer (the vote_id or the error).
inline Result<std::string> Cast(IngestService& ingest, const std::string& voter) {
  auto answer = std::make_shared<std::promise<Result<std::string>>>();
  auto future = answer->get_future();
  ingest.CastVote("e", voter, "a", [answer](Result<std::string> r) { answer->set_value(r); });
  return future.get();
}

// One ingest node as the tests build it: its lifecycle and the ingest appending through it.
struct Node {
  Node(Catalog& catalog, VoteLog& log, NodeLeases& leases, const Clock& clock, const Clock& steady,
       std::string id, FenceOptions options = Quick())
      : fence(catalog, log, leases, clock, steady, id, options),
        ingest(catalog, fence.vote_log(), clock, id, fence) {}
  FencedLifecycle fence;
  IngestService ingest;
};

class FencedLifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(catalog.Create({"e", "T", {{"a", "A"}}, ElectionStatus::kDraft, 0, 0, 0}).ok());
  }
  ElectionStatus StatusOf(std::string_view id) { return (*catalog.Get(id))->status; }
  bool Stored(std::string_view node_id) {
    auto leases = store.Leases();
    for (const auto& l : *leases) {
      if (l.node_id == node_id) return true;
    }
    return false;
  }

  memory::MemoryCatalog catalog;
  memory::MemoryLog log{3};
  memory::MemoryNodeLeases store;
  SystemClock wall;
  MonotonicClock clock{wall};
  SteadyClock steady;
};

}  // namespace urna::fence_test
