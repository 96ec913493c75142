// CheckpointReadModel: live tallies for `urna ingest`'s GET .../results, read from the
// processors' tally items in DynamoDB (issue 9: results from DynamoDB until the Redis read side).
// An election's tally is the sum of its counts over the partitions' tally items (dynamo_tallies.h,
// never ahead of the partitions' checkpoints); its seq is the sum over partitions of the next
// offset of the batch that last changed its counts there (as in LocalReadModel: it grows with
// every change and survives restarts). A background thread reads, every `refresh`, the items of
// the elections the catalog lists as opened, except those it has seen sealed in every partition
// (their counts are final: read once, kept), so its cost follows the live elections, not all
// elections ever counted. Get only reads memory, so it is cheap on any thread. A failed refresh
// keeps the last totals (G6: the read side may lag, counting goes on). Apply is a no-op: the tally
// items themselves are the data. Owned by the role that serves results; thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "adapters/dynamodb/dynamo_client.h"
#include "adapters/dynamodb/dynamo_state_tables.h"
#include "ports/catalog.h"
#include "ports/clock.h"
#include "ports/read_model.h"
#include "sync/mutex.h"

namespace urna::dynamodb {

class CheckpointReadModel final : public ReadModel {
 public:
  // `client`, `clock` and `catalog` must outlive this; `partitions` is the log's partition count.
  CheckpointReadModel(DynamoClient& client, StateTables tables, const Clock& clock,
                      Catalog& catalog, uint32_t partitions,
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
  Catalog& catalog_;
  const uint32_t partitions_;
  const std::chrono::milliseconds refresh_;

  Mutex mu_;
  bool loaded_ GUARDED_BY(mu_) = false;
  std::map<std::string, ElectionTally, std::less<>> tallies_ GUARDED_BY(mu_);
  std::set<std::string, std::less<>> settled_ GUARDED_BY(mu_);  // sealed in every partition

  Mutex stop_mu_;
  CondVar stop_cv_;
  bool stopping_ GUARDED_BY(stop_mu_) = false;
  std::thread thread_;
};

}  // namespace urna::dynamodb
