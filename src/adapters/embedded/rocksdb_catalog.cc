#include "adapters/embedded/rocksdb_catalog.h"

#include <rocksdb/db.h>

#include <memory>

#include "adapters/codec/proto_codec.h"

namespace urna::embedded {

Result<std::unique_ptr<EmbeddedCatalog>> EmbeddedCatalog::Open(EmbeddedDb& db) {
  std::unique_ptr<EmbeddedCatalog> c(new EmbeddedCatalog(db));
  auto lease = db.Use();
  if (!lease.ok()) return lease.status();
  std::unique_ptr<rocksdb::Iterator> it(db.db()->NewIterator(rocksdb::ReadOptions(), db.catalog()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto e = codec::DecodeElection(it->value().ToStringView());
    if (!e.ok()) return e.status();
    std::string id = e->id;   // the right side of = is evaluated first and moves from *e
    WriterLock lock(c->mu_);  // no other thread yet: taken for the analysis, never waits
    c->cache_[id] = std::make_shared<const Election>(std::move(*e));
  }
  if (!it->status().ok()) return Status(Code::kUnavailable, it->status().ToString());
  return c;
}

Status EmbeddedCatalog::Store(const Election& e) {
  rocksdb::WriteOptions w;
  w.sync = true;
  {
    auto lease = db_.Use();
    if (!lease.ok()) return lease.status();
    auto s = db_.db()->Put(w, db_.catalog(), e.id, codec::EncodeElection(e));
    if (!s.ok()) {
      db_.ReportWriteError("catalog write failed: " + s.ToString());
      return Status(Code::kUnavailable,
                    "catalog write failed, storage is failing: " + s.ToString());
    }
  }
  WriterLock lock(mu_);
  cache_[e.id] = std::make_shared<const Election>(e);
  return Status::Ok();
}

Status EmbeddedCatalog::Create(const Election& election) {
  MutexLock w(write_mu_);
  {
    ReaderLock lock(mu_);
    if (cache_.contains(election.id)) {
      return Status(Code::kConflict, "election " + election.id + " already exists");
    }
  }
  return Store(election);
}

Status EmbeddedCatalog::Update(const Election& election) {
  MutexLock w(write_mu_);
  {
    ReaderLock lock(mu_);
    if (!cache_.contains(election.id)) {
      return Status(Code::kNotFound, "no election " + election.id);
    }
  }
  return Store(election);
}

Status EmbeddedCatalog::Delete(const Election& election) {
  MutexLock w(write_mu_);
  {
    ReaderLock lock(mu_);
    if (!cache_.contains(election.id)) {
      return Status(Code::kNotFound, "no election " + election.id);
    }
  }
  rocksdb::WriteOptions wo;
  wo.sync = true;
  {
    auto lease = db_.Use();
    if (!lease.ok()) return lease.status();
    auto s = db_.db()->Delete(wo, db_.catalog(), election.id);
    if (!s.ok()) {
      db_.ReportWriteError("catalog delete failed: " + s.ToString());
      return Status(Code::kUnavailable,
                    "catalog delete failed, storage is failing: " + s.ToString());
    }
  }
  WriterLock lock(mu_);
  cache_.erase(election.id);
  return Status::Ok();
}

Result<std::shared_ptr<const Election>> EmbeddedCatalog::Get(std::string_view id) {
  ReaderLock lock(mu_);
  auto it = cache_.find(id);
  if (it == cache_.end()) return Status(Code::kNotFound, "no election " + std::string(id));
  return it->second;
}

std::vector<std::shared_ptr<const Election>> EmbeddedCatalog::List() {
  ReaderLock lock(mu_);
  std::vector<std::shared_ptr<const Election>> out;
  out.reserve(cache_.size());
  for (const auto& [id, e] : cache_) out.push_back(e);
  return out;
}

}  // namespace urna::embedded
