// MemoryGateways: an in-memory GatewayStore + GatewayRefs fake (ports/gateway_store.h) for unit
// tests of ingest and the routes. Counts ref look-ups and writes; Find fails while fail_find is
// set. Thread-safe.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "ports/gateway_store.h"
#include "sync/mutex.h"

namespace urna::memory {

class MemoryGateways final : public GatewayStore, public GatewayRefs {
 public:
  bool fail_find = false;

  Status Create(const Gateway& g) override {
    MutexLock lock(mu_);
    if (!gateways_.emplace(g.id, g).second) return Status(Code::kConflict, "exists");
    return Status::Ok();
  }
  Result<Gateway> Revoke(std::string_view id, int64_t now_ms) override {
    MutexLock lock(mu_);
    auto it = gateways_.find(std::string(id));
    if (it == gateways_.end()) return Status(Code::kNotFound, "no gateway");
    if (!it->second.revoked()) it->second.revoked_at_ms = now_ms;
    return it->second;
  }
  Result<std::vector<Gateway>> List() override {
    MutexLock lock(mu_);
    std::vector<Gateway> out;
    for (const auto& [id, g] : gateways_) out.push_back(g);
    return out;
  }
  Result<std::vector<GatewayRef>> Find(const std::vector<std::string>& keys) override {
    MutexLock lock(mu_);
    ++finds_;
    if (fail_find) return Status(Code::kUnavailable, "injected");
    std::vector<GatewayRef> out;
    for (const auto& k : keys) {
      auto it = refs_.find(k);
      out.push_back(it == refs_.end() ? GatewayRef{} : it->second);
    }
    return out;
  }
  Status Record(const std::vector<std::pair<std::string, GatewayRef>>& refs) override {
    MutexLock lock(mu_);
    for (const auto& [k, v] : refs) refs_.emplace(k, v);
    return Status::Ok();
  }
  size_t refs() {
    MutexLock lock(mu_);
    return refs_.size();
  }

 private:
  Mutex mu_;
  std::map<std::string, Gateway> gateways_ GUARDED_BY(mu_);
  std::map<std::string, GatewayRef> refs_ GUARDED_BY(mu_);
  int finds_ GUARDED_BY(mu_) = 0;
};

}  // namespace urna::memory
