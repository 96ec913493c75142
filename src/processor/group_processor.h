// GroupProcessor: the stream processor of `urna process` when several processes share the log's
// partitions (a consumer group). It runs one PartitionProcessor per partition currently assigned
// to this process (PartitionAssignment): a newly assigned partition loads its committed state
// (its checkpoint) and is read from the checkpoint's next offset, never from the group's
// committed offset; a revoked one stops after the batch in hand. The group offset is committed
// after checkpoints (at most once per `commit_interval` per partition, and on revocation) for
// lag monitoring only. Exactly once does not rest on the group: a processor that lost its
// partition without knowing (paused, partitioned) fails its next checkpoint's condition
// (ProcessorState::Commit) and reloads. Partitions run on a few worker threads (partition p on
// worker p % workers), as in Processor.
// Owned by the app; Start/Stop from one thread; the listener calls come on the assignment's
// thread; totals() from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <thread>
#include <vector>

#include "ports/partition_assignment.h"
#include "processor/partition_processor.h"
#include "processor/processor.h"
#include "sync/mutex.h"

namespace urna {

struct GroupProcessorOptions {
  int workers = 2;
  std::chrono::milliseconds linger{5};  // pause after a round that found less than a full batch
  std::chrono::milliseconds idle_poll{20};
  size_t max_batch = 4096;
  // How long a revocation waits for a partition's batch in hand before giving it up anyway.
  std::chrono::milliseconds revoke_timeout{10000};
  // Least time between two group-offset commits of one partition.
  std::chrono::milliseconds commit_interval{1000};
};

class GroupProcessor final : public AssignmentListener {
 public:
  GroupProcessor(PartitionAssignment& assignment, LogReader& log, ProcessorState& state,
                 Catalog& catalog, ReadModel& read_model, GroupProcessorOptions options = {});
  ~GroupProcessor() override;

  // Starts the workers and joins the group.
  Status Start();
  // Leaves the group (every partition is revoked: their batches in hand finish), then stops
  // the workers. Idempotent.
  void Stop();

  // Counts since start over every partition this process has processed; processed_offsets
  // sums the next offsets of the partitions owned now.
  ProcessorTotals totals() const;
  // The partitions this process processes now, in order.
  std::vector<uint32_t> owned() const;
  // Each partition processed now: its next offset to process (the entries before it are
  // committed). For /metrics (lag in log entries).
  std::map<uint32_t, uint64_t> NextOffsets() const;
  // The owned partitions whose last processing step failed (it is retried), in order. For
  // /healthz.
  std::vector<uint32_t> Failing() const;
  // Each owned partition's PartitionProcessor::lag_ms, 0 when its known end
  // (LogReader::KnownEndOffset: Kafka's cached high watermark) is not past its next offset.
  // While started, the read model is given this as its lag source (SetLagSource).
  WriteSideLag Lag() const;

  // AssignmentListener: loads each partition's state and returns its next offset.
  std::map<uint32_t, uint64_t> OnAssigned(const std::vector<uint32_t>& partitions) override;
  void OnRevoked(const std::vector<uint32_t>& partitions) override;

 private:
  struct Owned;
  void Work(int worker);
  // Reports a partition's progress to the group if it moved and the interval has passed (or
  // `force`).
  void MaybeCommit(Owned& o, bool force);

  PartitionAssignment& assignment_;
  LogReader& log_;
  ProcessorState& state_;
  Catalog& catalog_;
  ReadModel& read_model_;
  GroupProcessorOptions opts_;

  mutable Mutex mu_;
  std::map<uint32_t, std::shared_ptr<Owned>> owned_ GUARDED_BY(mu_);
  ProcessorTotals retired_ GUARDED_BY(mu_);  // counts of partitions no longer owned

  std::atomic<bool> stop_{false};
  bool started_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace urna
