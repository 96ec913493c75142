// GatewayRegistry: the trusted gateways (ports/gateway_store.h) in memory, so each batch is
// authenticated without I/O: the presented secret is hashed (one SHA-256) and looked up by its
// hash. Secrets are 32 random bytes, so a plain SHA-256 is as good as a slow password hash here
// (nothing to guess), and the lookup compares hashes, never secrets. Filled from the store at
// start-up and kept current by the admin routes (and, with several ingest nodes, by a periodic
// reload: a revocation elsewhere takes effect here within that period).
// Owned by the app; thread-safe (readers share a lock).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "ports/gateway_store.h"
#include "sync/mutex.h"

namespace urna {

class GatewayRegistry {
 public:
  // A new secret: "urna_gw_" and 64 hex digits (32 bytes from the OpenSSL CSPRNG). Throws
  // std::runtime_error when the generator fails (it does not on Linux).
  static std::string NewSecret();
  // Lowercase hex SHA-256 of `secret`: what is stored.
  static std::string HashSecret(std::string_view secret);

  // Replaces every gateway (a reload from the store).
  void Replace(const std::vector<Gateway>& all);
  // Adds or updates one (after this node created or revoked it).
  void Put(const Gateway& g);
  // The gateway whose secret this is: kUnauthenticated when none has it, kPermissionDenied when
  // it is revoked.
  Result<std::shared_ptr<const Gateway>> Authenticate(std::string_view secret) const;
  size_t size() const;

 private:
  mutable SharedMutex mu_;
  // secret hash -> gateway
  std::unordered_map<std::string, std::shared_ptr<const Gateway>> by_hash_ GUARDED_BY(mu_);
};

}  // namespace urna
