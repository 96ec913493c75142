// CheckpointReadModel: live tallies for `urna ingest`'s GET .../results, read from the
// processors' checkpoints in DynamoDB (issue 9: results from DynamoDB until the Redis read side).
// An election's tally is the sum of its counts over the partitions' checkpoints; its seq is the
// sum over partitions of the next offset of the batch that last changed its counts there (as in
// LocalReadModel: it grows with every change and survives restarts). A background thread queries
// the topic's checkpoints every `refresh` (one Query for all partitions and elections) and
// swaps in the new totals; Get only reads memory, so it is cheap on any thread. A failed refresh
// keeps the last totals (G6: the read side may lag, counting goes on). Apply is a no-op: the
// checkpoints themselves are the data. Owned by the role that serves results; thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <thread>

#include "adapters/dynamodb/dynamo_client.h"
#include "adapters/dynamodb/dynamo_state_tables.h"
#include "ports/clock.h"
#include "ports/read_model.h"
#include "sync/mutex.h"

namespace urna::dynamodb {

class CheckpointReadModel final : public ReadModel {
 public:
  // `client` and `clock` must outlive this.
  CheckpointReadModel(DynamoClient& client, StateTables tables, const Clock& clock,
                      std::chrono::milliseconds refresh = std::chrono::milliseconds(250));
  ~CheckpointReadModel() override;

  // Refreshes once now (blocking), then every `refresh` on a thread of its own until Stop.
  Status Start();
  void Stop();
  // One refresh now (blocking): what the background thread does each time.
  Status Refresh();

  Status Apply(const PartitionTally& update) override;
  // The election's totals as of the last refresh (empty with seq 0 if nothing was counted);
  // kUnavailable until a refresh has succeeded once.
  Result<ElectionTally> Get(std::string_view election_id) override;

 private:
  void Run();

  DynamoClient& client_;
  const StateTables tables_;
  const Clock& clock_;
  const std::chrono::milliseconds refresh_;

  Mutex mu_;
  bool loaded_ GUARDED_BY(mu_) = false;
  std::map<std::string, ElectionTally, std::less<>> tallies_ GUARDED_BY(mu_);

  Mutex stop_mu_;
  CondVar stop_cv_;
  bool stopping_ GUARDED_BY(stop_mu_) = false;
  std::thread thread_;
};

}  // namespace urna::dynamodb
