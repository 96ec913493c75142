#include "adapters/embedded/rocksdb_gateway_store.h"

#include <rocksdb/db.h>

#include <charconv>
#include <memory>
#include <optional>

namespace urna::embedded {
namespace {

constexpr std::string_view kPrefix = "gateway/";

std::string Key(std::string_view id) { return std::string(kPrefix).append(id); }

// The next '\n'-terminated field of `in` (the rest when there is none).
std::string_view NextField(std::string_view& in) {
  auto nl = in.find('\n');
  std::string_view f = in.substr(0, nl);
  in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  return f;
}

bool ParseI64(std::string_view s, int64_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::string EmbeddedGatewayStore::Encode(const Gateway& g) {
  std::string out = "1\n" + g.secret_sha256 + "\n" + std::to_string(g.created_at_ms) + "\n" +
                    std::to_string(g.revoked_at_ms) + "\n";
  for (size_t i = 0; i < g.elections.size(); ++i) {
    if (i > 0) out += ',';
    out += g.elections[i];
  }
  return out;
}

Result<Gateway> EmbeddedGatewayStore::Decode(std::string_view id, std::string_view bytes) {
  Gateway g;
  g.id = std::string(id);
  Status corrupt(Code::kInternal, "corrupt gateway record " + g.id);
  if (NextField(bytes) != "1") return corrupt;
  g.secret_sha256 = std::string(NextField(bytes));
  if (!ParseI64(NextField(bytes), g.created_at_ms)) return corrupt;
  if (!ParseI64(NextField(bytes), g.revoked_at_ms)) return corrupt;
  while (!bytes.empty()) {
    auto comma = bytes.find(',');
    g.elections.emplace_back(bytes.substr(0, comma));
    bytes = comma == std::string_view::npos ? std::string_view() : bytes.substr(comma + 1);
  }
  return g;
}

Result<std::optional<Gateway>> EmbeddedGatewayStore::Get(std::string_view id) {
  auto lease = db_.Use();
  if (!lease.ok()) return lease.status();
  std::string value;
  auto s = db_.db()->Get(rocksdb::ReadOptions(), db_.db()->DefaultColumnFamily(), Key(id), &value);
  if (s.IsNotFound()) return std::optional<Gateway>();
  if (!s.ok()) return Status(Code::kUnavailable, "gateway read failed: " + s.ToString());
  auto g = Decode(id, value);
  if (!g.ok()) return g.status();
  return std::optional<Gateway>(std::move(*g));
}

Status EmbeddedGatewayStore::Put(const Gateway& g) {
  auto lease = db_.Use();
  if (!lease.ok()) return lease.status();
  rocksdb::WriteOptions w;
  w.sync = true;
  auto s = db_.db()->Put(w, db_.db()->DefaultColumnFamily(), Key(g.id), Encode(g));
  if (!s.ok()) {
    db_.ReportWriteError("gateway write failed: " + s.ToString());
    return Status(Code::kUnavailable, "gateway write failed, storage is failing: " + s.ToString());
  }
  return Status::Ok();
}

Status EmbeddedGatewayStore::Create(const Gateway& gateway) {
  MutexLock lock(write_mu_);
  auto existing = Get(gateway.id);
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) {
    return Status(Code::kConflict, "gateway " + gateway.id + " exists (ids are never reused)");
  }
  return Put(gateway);
}

Result<Gateway> EmbeddedGatewayStore::Revoke(std::string_view id, int64_t now_ms) {
  MutexLock lock(write_mu_);
  auto existing = Get(id);
  if (!existing.ok()) return existing.status();
  if (!existing->has_value()) return Status(Code::kNotFound, "no gateway " + std::string(id));
  Gateway g = std::move(**existing);
  if (g.revoked()) return g;
  g.revoked_at_ms = now_ms == 0 ? 1 : now_ms;
  if (auto s = Put(g); !s.ok()) return s;
  return g;
}

Result<std::vector<Gateway>> EmbeddedGatewayStore::List() {
  auto lease = db_.Use();
  if (!lease.ok()) return lease.status();
  std::vector<Gateway> out;
  std::unique_ptr<rocksdb::Iterator> it(
      db_.db()->NewIterator(rocksdb::ReadOptions(), db_.db()->DefaultColumnFamily()));
  for (it->Seek(std::string(kPrefix)); it->Valid() && it->key().starts_with(kPrefix); it->Next()) {
    auto key = it->key().ToStringView();
    auto g = Decode(key.substr(kPrefix.size()), it->value().ToStringView());
    if (!g.ok()) return g.status();
    out.push_back(std::move(*g));
  }
  if (!it->status().ok()) return Status(Code::kUnavailable, it->status().ToString());
  return out;
}

}  // namespace urna::embedded
