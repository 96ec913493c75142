#include "auth/gateway_registry.h"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <stdexcept>

#include "core/hex.h"

namespace urna {

std::string GatewayRegistry::NewSecret() {
  unsigned char raw[32];
  if (RAND_bytes(raw, sizeof raw) != 1) throw std::runtime_error("RAND_bytes failed");
  return "urna_gw_" + HexEncode(std::span<const unsigned char>(raw, sizeof raw));
}

std::string GatewayRegistry::HashSecret(std::string_view secret) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), digest);
  return HexEncode(std::span<const unsigned char>(digest, sizeof digest));
}

void GatewayRegistry::Replace(const std::vector<Gateway>& all) {
  std::unordered_map<std::string, std::shared_ptr<const Gateway>> next;
  for (const auto& g : all) next[g.secret_sha256] = std::make_shared<const Gateway>(g);
  WriterLock lock(mu_);
  // A revocation never goes back: a gateway revoked here (Put) while the list was read stays
  // revoked even if the list read before the revocation was stored says it is not.
  for (auto& [hash, g] : next) {
    auto it = by_hash_.find(hash);
    if (it != by_hash_.end() && it->second->revoked() && !g->revoked()) g = it->second;
  }
  by_hash_.swap(next);
}

void GatewayRegistry::Put(const Gateway& g) {
  auto p = std::make_shared<const Gateway>(g);
  WriterLock lock(mu_);
  by_hash_[g.secret_sha256] = std::move(p);
}

Result<std::shared_ptr<const Gateway>> GatewayRegistry::Authenticate(
    std::string_view secret) const {
  std::string hash = HashSecret(secret);
  std::shared_ptr<const Gateway> g;
  {
    ReaderLock lock(mu_);
    auto it = by_hash_.find(hash);
    if (it != by_hash_.end()) g = it->second;
  }
  if (!g) return Status(Code::kUnauthenticated, "unknown gateway secret");
  if (g->revoked()) {
    return Status(Code::kPermissionDenied, "gateway " + g->id + " is revoked");
  }
  return g;
}

size_t GatewayRegistry::size() const {
  ReaderLock lock(mu_);
  return by_hash_.size();
}

}  // namespace urna
