#include "processor/processor.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "processor/round_pacer.h"

namespace urna {

namespace {
constexpr size_t kBatch = 4096;
}

Processor::Processor(uint32_t partitions, LogReader& log, ProcessorState& state, Catalog& catalog,
                     ReadModel& read_model, ProcessorOptions options)
    : log_(log), opts_(options) {
  opts_.workers = std::clamp<int>(opts_.workers, 1, static_cast<int>(partitions));
  for (uint32_t p = 0; p < partitions; ++p) {
    parts_.push_back(
        std::make_unique<PartitionProcessor>(p, log, state, catalog, read_model, kBatch));
  }
}

Processor::~Processor() { Stop(); }

void Processor::Start() {
  for (auto& p : parts_) {
    if (auto s = p->Load(); !s.ok()) {
      spdlog::error("cannot restore a partition's state (the worker will retry): {}", s.message());
    }
  }
  for (int w = 0; w < opts_.workers; ++w) {
    threads_.emplace_back([this, w] {
      pthread_setname_np(pthread_self(), "urna-process");
      Work(w);
    });
  }
}

void Processor::Stop() {
  stop_ = true;
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void Processor::Work(int worker) {
  RoundPacer pacer(opts_.idle_poll, opts_.linger, kBatch);
  while (!stop_) {
    size_t most = 0;
    bool failed = false;
    for (size_t p = worker; p < parts_.size() && !stop_; p += opts_.workers) {
      auto n = parts_[p]->Step(std::chrono::milliseconds(0));
      if (n.ok()) {
        most = std::max(most, *n);
      } else {
        failed = true;
        spdlog::error("partition {}: processing failed, will retry: {}", p, n.status().message());
      }
    }
    pacer.After(failed, most);
  }
}

int64_t Processor::LagMs() const {
  const int64_t now = SteadyNowMs();
  int64_t lag = 0;
  for (uint32_t p = 0; p < parts_.size(); ++p) {
    // The offset first: an entry that becomes durable after this read makes the partition look
    // behind, never the reverse, and its age is below lag_ms anyway.
    const uint64_t next = parts_[p]->stats().next_offset.load();
    auto end = log_.KnownEndOffset(p);
    if (end && *end <= next) continue;
    lag = std::max(lag, parts_[p]->lag_ms(now));  // an unknown end counts as behind
  }
  return lag;
}

std::vector<uint64_t> Processor::NextOffsets() const {
  std::vector<uint64_t> next;
  next.reserve(parts_.size());
  for (const auto& p : parts_) next.push_back(p->stats().next_offset.load());
  return next;
}

ProcessorTotals Processor::totals() const {
  ProcessorTotals t;
  for (const auto& p : parts_) {
    t.AddCounts(p->stats());
    t.processed_offsets += p->stats().next_offset;
  }
  return t;
}

}  // namespace urna
