// EmbeddedGatewayStore: trusted gateways (ports/gateway_store.h) in the data dir's RocksDB, as
// "gateway/<id>" keys of the default column family. Owned by the app; thread-safe; every call
// blocks on RocksDB (writes are fsync'd): call off the network threads.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/embedded/db.h"
#include "ports/gateway_store.h"
#include "sync/mutex.h"

namespace urna::embedded {

class EmbeddedGatewayStore final : public GatewayStore {
 public:
  explicit EmbeddedGatewayStore(EmbeddedDb& db) : db_(db) {}

  Status Create(const Gateway& gateway) override;
  Result<Gateway> Revoke(std::string_view id, int64_t now_ms) override;
  Result<std::vector<Gateway>> List() override;

  // A gateway as a stored value: lines of "1" (the format), the secret's hash, created_at_ms,
  // revoked_at_ms and the elections joined by ','. A record of five fields needs no
  // serializer: ids never hold '\n' or ',' (core/election.h IsValidId).
  static std::string Encode(const Gateway& g);
  static Result<Gateway> Decode(std::string_view id, std::string_view bytes);

 private:
  Result<std::optional<Gateway>> Get(std::string_view id);
  Status Put(const Gateway& g);

  EmbeddedDb& db_;
  Mutex write_mu_;  // serializes Create/Revoke so check-then-write is atomic
};

}  // namespace urna::embedded
