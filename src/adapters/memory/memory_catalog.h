// MemoryCatalog: an in-memory Catalog fake for unit tests. Thread-safe.
#pragma once

#include <map>

#include "ports/catalog.h"
#include "sync/mutex.h"

namespace urna::memory {

class MemoryCatalog final : public Catalog {
 public:
  Status Create(const Election& e) override {
    MutexLock lock(mu_);
    if (m_.contains(e.id)) return Status(Code::kConflict, "exists");
    m_[e.id] = std::make_shared<const Election>(e);
    return Status::Ok();
  }
  Status Update(const Election& e) override {
    MutexLock lock(mu_);
    if (!m_.contains(e.id)) return Status(Code::kNotFound, "absent");
    m_[e.id] = std::make_shared<const Election>(e);
    return Status::Ok();
  }
  Result<std::shared_ptr<const Election>> Get(std::string_view id) override {
    MutexLock lock(mu_);
    auto it = m_.find(std::string(id));
    if (it == m_.end()) return Status(Code::kNotFound, "absent");
    return it->second;
  }
  std::vector<std::shared_ptr<const Election>> List() override {
    MutexLock lock(mu_);
    std::vector<std::shared_ptr<const Election>> out;
    for (auto& [k, v] : m_) out.push_back(v);
    return out;
  }

 private:
  Mutex mu_;
  std::map<std::string, std::shared_ptr<const Election>> m_ GUARDED_BY(mu_);
};

}  // namespace urna::memory
