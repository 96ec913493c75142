// Node leases port: what the fenced close across ingest nodes shares (docs/architecture.md §5).
// Each ingest node holds a lease it renews (a heartbeat counter, no clock in it); a close marks
// the election closing, each live node acknowledges once it has stopped admitting the election
// and its appends for it are done, and a closer may expire a lease it has seen unchanged for the
// lease TTL. The FencedLifecycle (src/lifecycle) is the only user. Distributed: DynamoDB
// (`<prefix>nodes`, adapters/dynamodb/dynamo_node_leases.h); tests: memory::MemoryNodeLeases.
// Every read is strongly consistent (it sees every write that completed before it began).
// Implementations are thread-safe; calls block (call off the network threads).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace urna {

// One node's lease as stored. `epoch` names one registration (a restart, or a node whose lease
// was expired, registers anew); `heartbeat` grows by one with each renewal. Liveness is judged
// by whether (epoch, heartbeat) changes within the TTL on the observer's own clock, so no
// wall-clock time is stored and nodes' clocks need not agree.
struct NodeLease {
  std::string node_id;
  std::string epoch;
  uint64_t heartbeat = 0;

  bool operator==(const NodeLease&) const = default;
};

// A node's word that it admits no more votes of an election and that every append it queued for
// it has completed. Valid only for the lease `epoch` it names.
struct CloseAck {
  std::string node_id;
  std::string epoch;
  // The node's clock (the MonotonicClock ingest stamps cast_at with) read after it stopped
  // admitting: at or after the cast_at of every vote of the election it admitted.
  int64_t stopped_at_ms = 0;
};

class NodeLeases {
 public:
  virtual ~NodeLeases() = default;

  // Stores a fresh lease for `node_id` (a new epoch, heartbeat 0) if none is stored; kConflict
  // when another lease of that node id is stored (another process with the same id, or this
  // node's previous run: the caller expires it as a closer would, once it has stayed unchanged
  // for the TTL). A retry that finds its own registration stored is success.
  virtual Result<NodeLease> Register(std::string_view node_id) = 0;
  // Stores heartbeat + 1 if the stored lease is still exactly `lease`; kConflict when it was
  // expired or replaced (the node must register anew). A retry that finds its own renewal
  // stored is success.
  virtual Result<NodeLease> Renew(const NodeLease& lease) = 0;
  // Removes the lease if it is still stored exactly as `lease`: a closer that saw it unchanged
  // for the TTL, or the node itself leaving. Ok also when the node has no lease stored (a retry
  // that finds its own removal); kConflict when the stored lease is another one (renewed, or the
  // node registered anew: it lives).
  virtual Status Expire(const NodeLease& lease) = 0;
  // Every stored lease.
  virtual Result<std::vector<NodeLease>> Leases() = 0;

  // Marks the election closing: from the node's next read on, it admits none of its votes.
  // Idempotent and never undone (a close that does not complete is completed by closing again).
  virtual Status MarkClosing(std::string_view election_id) = 0;
  // Every election ever marked closing.
  virtual Result<std::vector<std::string>> Closing() = 0;
  // Records (replaces) `ack.node_id`'s acknowledgement of the close of `election_id`.
  virtual Status Acknowledge(std::string_view election_id, const CloseAck& ack) = 0;
  // The acknowledgements of the close of `election_id`, one per node (the latest).
  virtual Result<std::vector<CloseAck>> Acks(std::string_view election_id) = 0;
};

}  // namespace urna
