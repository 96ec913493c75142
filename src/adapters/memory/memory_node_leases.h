// MemoryNodeLeases: an in-memory NodeLeases fake for unit tests of the fenced close, shared by
// the FencedLifecycle "nodes" of one test as the DynamoDB table is shared by ingest processes.
// `fail_all` makes every call fail (kUnavailable) as an unreachable store would; a test cuts
// one node off with its own wrapper. Thread-safe.
#pragma once

#include <atomic>
#include <map>
#include <string>
#include <utility>

#include "ports/node_leases.h"
#include "sync/mutex.h"

namespace urna::memory {

class MemoryNodeLeases final : public NodeLeases {
 public:
  std::atomic<bool> fail_all{false};

  Result<NodeLease> Register(std::string_view node_id) override {
    if (fail_all) return Down();
    MutexLock lock(mu_);
    if (leases_.contains(std::string(node_id))) {
      return Status(Code::kConflict,
                    "another lease of node " + std::string(node_id) + " is stored");
    }
    NodeLease lease{std::string(node_id), "e" + std::to_string(++epochs_), 0};
    leases_[lease.node_id] = lease;
    return lease;
  }
  Result<NodeLease> Renew(const NodeLease& lease) override {
    if (fail_all) return Down();
    MutexLock lock(mu_);
    auto it = leases_.find(lease.node_id);
    NodeLease next = lease;
    ++next.heartbeat;
    if (it != leases_.end() && it->second == next) return next;  // a retry, as DynamoDB's finds
    if (it == leases_.end() || it->second != lease) {
      return Status(Code::kConflict, "lease of " + lease.node_id + " was expired or replaced");
    }
    it->second = next;
    return next;
  }
  Status Expire(const NodeLease& lease) override {
    if (fail_all) return Down();
    MutexLock lock(mu_);
    auto it = leases_.find(lease.node_id);
    if (it == leases_.end()) return Status::Ok();
    if (it->second != lease) return Status(Code::kConflict, "lease was renewed or replaced");
    leases_.erase(it);
    return Status::Ok();
  }
  Result<std::vector<NodeLease>> Leases() override {
    if (fail_all) return Down();
    MutexLock lock(mu_);
    std::vector<NodeLease> out;
    for (const auto& [id, lease] : leases_) out.push_back(lease);
    return out;
  }
  Status MarkClosing(std::string_view election_id) override {
    if (fail_all) return Down();
    MutexLock lock(mu_);
    acks_.try_emplace(std::string(election_id));
    return Status::Ok();
  }
  Result<std::vector<std::string>> Closing() override {
    if (fail_all) return Down();
    MutexLock lock(mu_);
    std::vector<std::string> out;
    for (const auto& [id, acks] : acks_) out.push_back(id);
    return out;
  }
  Status Acknowledge(std::string_view election_id, const CloseAck& ack) override {
    if (fail_all) return Down();
    MutexLock lock(mu_);
    acks_[std::string(election_id)][ack.node_id] = ack;
    return Status::Ok();
  }
  Result<std::vector<CloseAck>> Acks(std::string_view election_id) override {
    if (fail_all) return Down();
    MutexLock lock(mu_);
    std::vector<CloseAck> out;
    auto it = acks_.find(std::string(election_id));
    if (it == acks_.end()) return out;
    for (const auto& [node, ack] : it->second) out.push_back(ack);
    return out;
  }

 private:
  static Status Down() { return Status(Code::kUnavailable, "lease store down"); }

  Mutex mu_;
  uint64_t epochs_ GUARDED_BY(mu_) = 0;
  std::map<std::string, NodeLease> leases_ GUARDED_BY(mu_);
  // Per closing election: its acknowledgements by node.
  std::map<std::string, std::map<std::string, CloseAck>> acks_ GUARDED_BY(mu_);
};

}  // namespace urna::memory
