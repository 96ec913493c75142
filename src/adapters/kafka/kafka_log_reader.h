// KafkaLogReader: reads the vote log's Kafka topic (librdkafka consumer), for `urna process`
// and for replays. It is both the LogReader (Read one partition from any offset, seeking when
// the offset asked for is not where the partition's fetch stands) and the PartitionAssignment
// of a consumer group (Subscribe: rebalances assign and revoke partitions; the listener says
// where each assigned partition starts, from its checkpoint; CommitProgress commits the group
// offset for lag monitoring, never read back as a position).
// Without Subscribe (a replay), Read assigns the partition it is asked for by itself.
// Each partition is read from its own queue, so several processor threads read different
// partitions in parallel without a thread hop; a poll thread serves the group's events
// (rebalance callbacks run on it). Records that do not decode as a LogRecord are passed once,
// logged and counted (`skipped`): not a vote urna wrote, and the position moves past them.
// Kafka offsets may have gaps: Read returns the entries' own offsets.
// Owned by the app. Thread-safe: Reads of one partition are serialized (a per-partition mutex
// held from the position check through the consume, so concurrent replays of one partition,
// e.g. two recount jobs sharing the reader, never move the queue under each other: each
// waits for the other's Read, seeks for its own); Reads of different partitions run in
// parallel (the processor's path: one thread per partition, the mutex never contended).
// librdkafka stays out of this header (pimpl).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "adapters/kafka/kafka_config.h"
#include "ports/partition_assignment.h"
#include "ports/vote_log.h"

namespace urna::kafka {

struct KafkaReaderOptions {
  // The consumer group of the processors; empty: no group (Subscribe and CommitProgress then
  // fail / do nothing).
  std::string group_id = "urna-processor";
  std::string client_id = "urna-process";
  // How long Open waits for the topic's metadata, a seek for its answer, and a Read after a
  // seek for the entries the partition is known to have at its offset.
  std::chrono::milliseconds metadata_timeout{10000};
};

struct KafkaReaderStats {
  uint64_t read = 0;        // entries returned
  uint64_t skipped = 0;     // records that did not decode
  uint64_t seeks = 0;       // partitions repositioned
  uint64_t assigned = 0;    // partitions assigned now
  uint64_t rebalances = 0;  // assignment changes seen
};

class KafkaLogReader final : public LogReader, public PartitionAssignment {
 public:
  // Connects and reads the topic's partition count (kNotFound if the topic does not exist).
  static Result<std::unique_ptr<KafkaLogReader>> Open(const KafkaConfig& config,
                                                      KafkaReaderOptions options = {});
  ~KafkaLogReader() override;  // Unsubscribes first

  uint32_t partitions() const override;

  // LogReader. Read answers kUnavailable for a partition the group has not assigned to this
  // process (and an empty batch while its assignment is being set up).
  Result<std::vector<LogEntry>> Read(uint32_t partition, uint64_t from, size_t max,
                                     std::chrono::milliseconds wait) override;
  Result<uint64_t> EndOffset(uint32_t partition) override;
  // The high watermark librdkafka cached from its last fetch of the partition (no round trip).
  std::optional<uint64_t> KnownEndOffset(uint32_t partition) override;

  // PartitionAssignment.
  Status Subscribe(AssignmentListener& listener) override;
  void Unsubscribe() override;
  void CommitProgress(uint32_t partition, uint64_t next_offset) override;

  // The partitions assigned to this process now, in order.
  std::vector<uint32_t> assigned() const;
  KafkaReaderStats stats() const;

  struct Impl;

 private:
  explicit KafkaLogReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace urna::kafka
