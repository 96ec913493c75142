// LagBoundReadModel: the read model as `urna serve`'s read side sees it (docs/architecture.md §4,
// "stale"): Get answers the inner read model's tally, marked `stale` while the processor's lag
// (Processor::LagMs: how long a durable vote may have waited uncounted) is above the bound.
// Apply goes to the inner read model unchanged. Owned by the app, next to what it wraps;
// thread-safe as the inner read model and the lag function are.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

#include "ports/read_model.h"

namespace urna::results {

class LagBoundReadModel final : public ReadModel {
 public:
  // `lag_ms` is called on every Get (cheap: a few atomics and the log's in-memory end offsets).
  LagBoundReadModel(ReadModel& inner, std::function<int64_t()> lag_ms,
                    std::chrono::milliseconds stale_after)
      : inner_(inner), lag_ms_(std::move(lag_ms)), stale_after_(stale_after) {}

  Status Apply(const PartitionTally& update) override { return inner_.Apply(update); }
  Result<ElectionTally> Get(std::string_view election_id) override {
    auto t = inner_.Get(election_id);
    if (t.ok() && lag_ms_() > stale_after_.count()) t->stale = true;
    return t;
  }

 private:
  ReadModel& inner_;
  const std::function<int64_t()> lag_ms_;
  const std::chrono::milliseconds stale_after_;
};

}  // namespace urna::results
