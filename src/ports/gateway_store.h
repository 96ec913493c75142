// Trusted gateways (docs/api.md "Trusted gateway batches"): the stored credentials of the
// broadcaster's edge, an SMS aggregator or a partner's backend that submit many voters' votes in
// one request. Only a hash of each secret is stored; the secret itself is shown once, at creation.
// Embedded: RocksDB (the data dir's default column family). Distributed: the DynamoDB table
// `<prefix>gateways`. Implementations are thread-safe; every call may block (storage).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace urna {

struct Gateway {
  std::string id;                      // 1-64 chars of [A-Za-z0-9_.-], like an election id
  std::string secret_sha256;           // lowercase hex SHA-256 of the secret
  std::vector<std::string> elections;  // the elections it may vote in; empty = all
  int64_t created_at_ms = 0;
  int64_t revoked_at_ms = 0;  // 0 = not revoked

  bool revoked() const { return revoked_at_ms != 0; }
  bool MayVoteIn(std::string_view election) const {
    if (elections.empty()) return true;
    for (const auto& e : elections) {
      if (e == election) return true;
    }
    return false;
  }
};

class GatewayStore {
 public:
  virtual ~GatewayStore() = default;
  // Stores a new gateway. kConflict when the id exists, revoked or not: an id is never reused,
  // so the refs of an old gateway never name a new one's votes.
  virtual Status Create(const Gateway& gateway) = 0;
  // Marks it revoked at `now_ms` (a revoked one stays revoked, with its first time).
  // kNotFound for an unknown id.
  virtual Result<Gateway> Revoke(std::string_view id, int64_t now_ms) = 0;
  // Every gateway, revoked ones included.
  virtual Result<std::vector<Gateway>> List() = 0;
};

// What a gateway ref was stored with: the vote_id it was appended as and the fingerprint of
// that vote's content (IngestService::RefFingerprint: voter and option), so a ref reused for
// another vote is told apart from a retry. vote_id "" = no vote stored under the ref.
struct GatewayRef {
  std::string vote_id;
  std::string fingerprint;
};

// Reads the refs of gateway votes: what each (gateway, election, ref) key was stored with, so a
// retry is answered with the same vote instead of a second one. Embedded: the log's "gwref/"
// keys (EmbeddedVoteLog). Distributed: DynamoDB. Thread-safe; blocking.
class GatewayRefReader {
 public:
  virtual ~GatewayRefReader() = default;
  // What is stored under each key, in order (vote_id "" where none). Blocking.
  virtual Result<std::vector<GatewayRef>> Find(const std::vector<std::string>& keys) = 0;
};

// The refs of gateway votes written apart from the log (distributed only; the embedded log
// keeps them in its own write, ports/vote_log.h AppendGroup).
class GatewayRefs : public GatewayRefReader {
 public:
  // Stores key -> ref; a key already stored keeps what it has (the first vote wins). Blocking.
  virtual Status Record(const std::vector<std::pair<std::string, GatewayRef>>& refs) = 0;
};

}  // namespace urna
