// `urna serve`'s stale bound (docs/api.md, "stale"): over the real embedded stack (RocksDB log,
// processor, local read model) and the results hub, a snapshot is marked stale while durable
// votes wait uncounted longer than the bound, and the change is pushed to subscribers; once the
// processor has counted them, a fresh snapshot with the exact count follows. The "paused"
// processor is one not started yet: nothing here depends on how fast the machine is.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "adapters/embedded/test_dir.h"
#include "app/embedded_stack.h"
#include "results/hub.h"
#include "results/lag_bound_read_model.h"

namespace urna::app {
namespace {

bool WaitFor(const std::function<bool()>& done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

class Frames final : public results::Subscriber {
 public:
  void Deliver(const std::shared_ptr<const results::ResultFrame>& f) override {
    std::lock_guard lock(mu_);
    jsons_.push_back(*f->json);
  }
  void Heartbeat() override {}
  bool closed() const override { return false; }
  // True once a frame holding every one of `parts` arrived.
  bool Saw(const std::vector<std::string>& parts) {
    std::lock_guard lock(mu_);
    for (const auto& j : jsons_) {
      bool all = true;
      for (const auto& p : parts) all = all && j.find(p) != std::string::npos;
      if (all) return true;
    }
    return false;
  }
  std::string Last() {
    std::lock_guard lock(mu_);
    return jsons_.empty() ? "" : jsons_.back();
  }

 private:
  std::mutex mu_;
  std::vector<std::string> jsons_;
};

TEST(StaleBoundTest, WaitingVotesMarkTheResultsStaleUntilCounted) {
  embedded::TempDir dir;
  auto stack = EmbeddedStack::Open(dir.str(), 2);
  ASSERT_TRUE(stack.ok()) << stack.status().message();
  auto& st = **stack;
  Election e{"e1", "T", {{"a", "A"}, {"b", "B"}}, ElectionStatus::kDraft, 0, 0, 0};
  ASSERT_TRUE(OpenElection(e, st.clock.NowMs()).ok());
  ASSERT_TRUE(st.catalog->Create(e).ok());
  results::LagBoundReadModel rm(
      *st.read_model, [&st] { return st.processor->LagMs(); }, std::chrono::milliseconds(100));
  results::ResultsHub hub(*st.catalog, rm, {std::chrono::milliseconds(10), std::chrono::hours(1)});
  auto viewer = std::make_shared<Frames>();
  ASSERT_TRUE(hub.Subscribe("e1", viewer).ok());
  EXPECT_TRUE(viewer->Saw({"\"total\":0", "\"stale\":false"})) << viewer->Last();
  hub.Start();

  // Durable votes the processor has not counted: stale once they waited past the bound.
  constexpr int kVotes = 10;
  for (int i = 0; i < kVotes; ++i) {
    std::promise<Status> durable;
    st.log->Append(
        {"v" + std::to_string(i), "e1", "a", "voter-" + std::to_string(i), st.clock.NowMs(), "n"},
        [&durable](Status s) { durable.set_value(s); });
    ASSERT_TRUE(durable.get_future().get().ok());
  }
  ASSERT_TRUE(WaitFor([&] {
    return viewer->Saw({"\"total\":0", "\"stale\":true"});
  })) << viewer->Last();
  EXPECT_TRUE(hub.Current("e1").value()->etag.ends_with("-stale\""));

  // The processor counts them: a fresh snapshot with every vote, pushed.
  st.processor->Start();
  ASSERT_TRUE(WaitFor([&] {
    return viewer->Saw({"\"total\":" + std::to_string(kVotes), "\"stale\":false"});
  })) << viewer->Last();
  EXPECT_EQ(st.processor->LagMs(), 0);
  hub.Stop();
  st.processor->Stop();
}

}  // namespace
}  // namespace urna::app
