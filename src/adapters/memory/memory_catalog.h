// MemoryCatalog: an in-memory Catalog fake for unit tests; versions entries as DynamoCatalog
// does (catalog_version). Thread-safe.
#pragma once

#include <map>
#include <memory>
#include <utility>

#include "ports/catalog.h"
#include "sync/mutex.h"

namespace urna::memory {

class MemoryCatalog final : public Catalog {
 public:
  Status Create(const Election& e) override {
    MutexLock lock(mu_);
    if (m_.contains(e.id)) return Status(Code::kConflict, "exists");
    m_[e.id] = Versioned(e, 1);
    return Status::Ok();
  }
  // As DynamoCatalog: a compare-and-set on the catalog_version read (unchecked when 0, for tests
  // that write elections they made themselves).
  Status Update(const Election& e) override {
    MutexLock lock(mu_);
    auto it = m_.find(e.id);
    if (it == m_.end()) return Status(Code::kNotFound, "absent");
    const uint64_t stored = it->second->catalog_version;
    if (e.catalog_version != 0 && e.catalog_version != stored) {
      return Status(Code::kConflict, "changed since it was read");
    }
    it->second = Versioned(e, stored + 1);
    return Status::Ok();
  }
  Status Delete(const Election& e) override {
    MutexLock lock(mu_);
    auto it = m_.find(e.id);
    if (it == m_.end()) return Status(Code::kNotFound, "absent");
    if (e.catalog_version != 0 && e.catalog_version != it->second->catalog_version) {
      return Status(Code::kConflict, "changed since it was read");
    }
    m_.erase(it);
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
  static std::shared_ptr<const Election> Versioned(Election e, uint64_t version) {
    e.catalog_version = version;
    return std::make_shared<const Election>(std::move(e));
  }

  Mutex mu_;
  std::map<std::string, std::shared_ptr<const Election>> m_ GUARDED_BY(mu_);
};

}  // namespace urna::memory
