// Proof of work against bots, in the ALTCHA v1 format (https://altcha.org): the server hands
// out a signed challenge {algorithm, challenge = hex(SHA-256(salt + number)), maxnumber, salt,
// signature = hex(HMAC-SHA-256(key, challenge))} for a random secret number <= maxnumber; the
// client finds the number by trying them all and sends back base64(JSON {algorithm, challenge,
// number, salt, signature}). No cookie, no state per client: the salt carries the expiry and the
// election ("<random hex>?expires=UNIX&election=ID&"), and the trailing '&' stops a client from
// moving digits of the number into the salt to change either of them.
//
// VerifyAltchaPayload is a pure function (no clock, no state), for tests and fuzzing.
// AltchaGuard adds the replay set. Thread-safe; owned by the app and shared by the network
// threads (each call takes one short lock).
#pragma once

#include <array>
#include <cstdint>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/status.h"
#include "sync/mutex.h"

namespace urna {

// A challenge as served by GET /v1/elections/{id}/challenge.
struct AltchaChallenge {
  std::string algorithm;  // "SHA-256"
  std::string challenge;  // 64 lowercase hex digits
  uint64_t maxnumber = 0;
  std::string salt;
  std::string signature;  // 64 lowercase hex digits
};

// A verified solution: what the replay set needs.
struct AltchaSolution {
  std::array<unsigned char, 32> challenge{};  // SHA-256(salt + number), raw bytes
  int64_t expires_s = 0;                      // Unix seconds, from the salt
};

// The largest base64 payload read; anything longer is refused before decoding.
inline constexpr size_t kAltchaMaxPayload = 1024;

// A fresh challenge for `scope` (the election id, an id of [A-Za-z0-9_.-]) valid until
// now_s + ttl_s, for a number drawn uniformly from [0, max_number]. kUnavailable when the
// system has no randomness.
Result<AltchaChallenge> CreateAltchaChallenge(std::string_view key, std::string_view scope,
                                              uint64_t max_number, int64_t now_s, int64_t ttl_s);

// Parses and checks a payload: size, base64, JSON shape, algorithm, salt format, that the salt
// names `scope`, expiry (expired when expires < now_s), SHA-256(salt + number) == challenge,
// and the signature (constant-time compare). kInvalidArgument with a message saying which.
Result<AltchaSolution> VerifyAltchaPayload(std::string_view key, std::string_view payload,
                                           std::string_view scope, int64_t now_s);

// Issues challenges and accepts each solved one once. The replay set keeps every accepted
// challenge until it expires (then the expiry check refuses it anyway), so it holds at most
// (accepted votes per second) x ttl entries; at `capacity` it refuses new solutions with
// kUnavailable (a clear 503 that clears by itself as entries expire) rather than forgetting
// unexpired ones, which would let them be replayed. About 60 bytes per entry.
class AltchaGuard {
 public:
  struct Options {
    int64_t ttl_s = 300;        // how long a challenge may be solved and used
    size_t capacity = 1000000;  // accepted, unexpired solutions remembered
  };
  // Signs with a random key made for this process: the replay set lives in memory, so a
  // restart also voids every challenge handed out before it (none can be used twice across a
  // restart; a page that held one fetches another). Throws without randomness (start-up only).
  explicit AltchaGuard(Options options);
  AltchaGuard(std::string key, Options options);  // a fixed key: tests and benchmarks

  Result<AltchaChallenge> Create(std::string_view scope, uint64_t max_number, int64_t now_s) const;
  // VerifyAltchaPayload, then records the challenge: a second use is kInvalidArgument.
  // A clock that steps back never revives an expired challenge: time here never goes back.
  Status Consume(std::string_view payload, std::string_view scope, int64_t now_s);

  size_t size() const;
  const Options& options() const { return options_; }

 private:
  using Key = std::array<unsigned char, 16>;  // first 128 bits of the challenge
  struct KeyHash {
    size_t operator()(const Key& k) const;
  };
  using Expiry = std::pair<int64_t, Key>;
  void PurgeLocked(int64_t now_s) REQUIRES(mu_);

  std::string key_;  // set in the constructor, then only read
  const Options options_;
  mutable Mutex mu_;
  int64_t now_floor_s_ GUARDED_BY(mu_) = 0;  // the latest time seen
  std::unordered_set<Key, KeyHash> used_ GUARDED_BY(mu_);
  std::priority_queue<Expiry, std::vector<Expiry>, std::greater<>> expiries_ GUARDED_BY(mu_);
};

}  // namespace urna
