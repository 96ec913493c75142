// KafkaVoteLog: the vote log on a Kafka topic (librdkafka producer), for `urna ingest`.
// Each vote goes to partition PartitionFor(election, voter) of the topic, keyed
// `election_id '\0' voter_id`, as the protobuf LogRecord of proto/urna/v1 (adapters/codec), from
// an idempotent producer with acks=all. An append completes with ok only from a successful
// delivery report (every in-sync replica has it); it completes with kUnavailable when Kafka does
// not take it within the delivery timeout, and at once when `max_in_flight` appends already
// await their reports (backpressure: memory stays bounded, nothing queues without limit).
// Completions run on the log's own poll thread (the one thread hop of an append). A seal goes to
// every partition and completes once every copy is acknowledged. After a fatal error of the
// idempotent producer (it cannot go on), the log replaces it with a new one by itself: the
// appends in flight fail (503), later ones go to the new producer.
// Owned by the app; Append/AppendSeal/Flush/stats are thread-safe. librdkafka stays out of this
// header (pimpl): modules that include it do not compile rdkafka.h.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "adapters/kafka/kafka_config.h"
#include "ports/vote_log.h"

namespace urna::kafka {

struct KafkaLogOptions {
  // Longest an append waits for its delivery report before it completes with kUnavailable
  // (librdkafka's message.timeout.ms and request.timeout.ms).
  std::chrono::milliseconds delivery_timeout{5000};
  // Appends awaiting their delivery report; one more is refused at once (kUnavailable).
  size_t max_in_flight = 50000;
  // How long the producer waits to fill a batch (linger.ms): small, so a vote is not held back,
  // but not zero, so votes in flight together share a request.
  std::chrono::milliseconds linger{2};
  // How long Open waits for the topic's metadata.
  std::chrono::milliseconds metadata_timeout{10000};
  std::string client_id = "urna-ingest";
};

struct KafkaLogStats {
  uint64_t delivered = 0;  // appends acknowledged (seals count once per partition)
  uint64_t failed = 0;     // delivery reports with an error (timeouts included)
  uint64_t refused = 0;    // appends refused at once: in-flight bound reached, or draining
  uint64_t in_flight = 0;  // awaiting their delivery report now
  uint64_t restarts = 0;   // producers replaced after a fatal error
};

class KafkaVoteLog final : public VoteLog {
 public:
  // Connects, reads the topic's partition count (kNotFound if the topic does not exist: run
  // `urna init`; kUnavailable if the cluster does not answer) and starts the poll thread.
  static Result<std::unique_ptr<KafkaVoteLog>> Open(const KafkaConfig& config,
                                                    KafkaLogOptions options = {});
  ~KafkaVoteLog() override;  // Drain()s first

  uint32_t partitions() const override;
  void Append(VoteEvent vote, AppendDone done) override;
  void AppendSeal(SealMarker seal, AppendDone done) override;
  // Refuses new appends, then returns once every append has completed (within the delivery
  // timeout: each is then acknowledged or failed).
  void Drain() override;
  // Returns once every append made before the call has completed (true), or after `timeout`
  // (false). New appends are still taken meanwhile.
  bool Flush(std::chrono::milliseconds timeout);
  KafkaLogStats stats() const;

  // Tests only: makes the producer fail as after a fatal error of the idempotent producer
  // (the log then replaces it).
  void InjectFatalErrorForTest();

  struct Impl;

 private:
  explicit KafkaVoteLog(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace urna::kafka
