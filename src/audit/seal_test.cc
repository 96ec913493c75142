#include "audit/seal.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include "adapters/memory/memory_catalog.h"
#include "adapters/memory/memory_log.h"
#include "ingest/ingest_service.h"

namespace urna {
namespace {

// Votes race the close on four threads: every vote the ingest accepted is ahead of the seal in
// its partition with an ingest time at or before closed_at, nothing of this node's is behind a
// seal, and every vote after the close is refused at the door.
TEST(CloseAndSealTest, EveryAcceptedVoteIsAheadOfTheSeal) {
  for (int round = 0; round < 20; ++round) {
    memory::MemoryCatalog catalog;
    memory::MemoryLog log{4};
    SystemClock wall;
    MonotonicClock clock(wall);  // as the app runs it: cast_at <= closed_at even across a step
    IngestService ingest{catalog, log, clock, "node-a"};
    Election e{"e", "T", {{"a", "A"}}, ElectionStatus::kDraft, 0, 0, 0};
    ASSERT_TRUE(OpenElection(e, clock.NowMs()).ok());
    ASSERT_TRUE(catalog.Create(e).ok());

    std::mutex mu;
    std::set<std::string> accepted;
    std::atomic<int> refused{0};
    std::atomic<bool> closed{false}, stop{false};
    std::vector<std::thread> voters;
    for (int t = 0; t < 4; ++t) {
      voters.emplace_back([&, t] {
        for (int i = 0; !stop; ++i) {
          ingest.CastVote("e", "v" + std::to_string(t) + "-" + std::to_string(i), "a",
                          [&](Result<std::string> r) {
                            if (r.ok()) {
                              std::lock_guard lock(mu);
                              accepted.insert(*r);
                            } else {
                              EXPECT_EQ(r.status().code(), Code::kNotOpen);
                              ++refused;
                            }
                          });
          if (closed && refused > 100) stop = true;
        }
      });
    }
    // The close races votes already flowing (a generous deadline, not a fixed sleep).
    for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
         std::chrono::steady_clock::now() < until;) {
      {
        std::lock_guard lock(mu);
        if (accepted.size() >= 10) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    auto c = CloseAndSeal(ingest.gate(), catalog, log, "e", clock);
    closed = true;
    for (auto& v : voters) v.join();
    ASSERT_TRUE(c.ok()) << c.status().message();

    size_t ahead = 0;
    for (uint32_t p = 0; p < log.partitions(); ++p) {
      auto entries = log.Read(p, 0, SIZE_MAX, {});
      ASSERT_TRUE(entries.ok());
      bool sealed = false;
      for (const auto& entry : *entries) {
        if (entry.seal) {
          sealed = true;
          continue;
        }
        EXPECT_FALSE(sealed) << "vote " << entry.vote.vote_id << " behind the seal";
        EXPECT_TRUE(accepted.contains(entry.vote.vote_id));
        EXPECT_LE(entry.vote.ingest_time_ms, c->closed_at_ms);
        ++ahead;
      }
      EXPECT_TRUE(sealed);
    }
    EXPECT_EQ(ahead, accepted.size());
    EXPECT_GE(accepted.size(), 10u) << "votes were flowing when the close came";
    EXPECT_GT(refused.load(), 0);
  }
}

}  // namespace
}  // namespace urna
