// The HS256 part of a compact JWS (RFC 7515): base64url decoding and the HMAC-SHA-256 of the
// signing input with one key. Hs256Key is immutable after construction and thread-safe: each
// thread keeps its own reusable OpenSSL MAC context for the key (OpenSSL's one-shot HMAC()
// looks the algorithm up on every call, which cost ~4 us per token here; a reused context
// ~0.5 us). Owned by VoterTokens.
#pragma once

#include <openssl/types.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace urna::jwt {

// Decodes unpadded base64url (RFC 7515 section 2: no '=', no whitespace, no other alphabet)
// into `out`, which has room for out_cap bytes. Refuses non-canonical input (a length of
// 4k+1, or unused low bits set in the last character). Returns the decoded length, or -1.
int DecodeBase64Url(std::string_view in, unsigned char* out, size_t out_cap);

// Unpadded base64url of `in` (for tests and minting).
std::string EncodeBase64Url(std::string_view in);

class Hs256Key {
 public:
  explicit Hs256Key(std::string_view secret);
  ~Hs256Key();
  Hs256Key(const Hs256Key&) = delete;
  Hs256Key& operator=(const Hs256Key&) = delete;

  // False if the key could not be set up (an empty secret, or OpenSSL refused it).
  bool usable() const { return template_ != nullptr; }

  // HMAC-SHA-256 of `data` with the key into `mac`. False on an OpenSSL failure.
  bool Mac(std::string_view data, std::array<unsigned char, 32>& mac) const;

 private:
  EVP_MAC_CTX* template_ = nullptr;  // the key set; only ever duplicated (under a lock)
  uint64_t id_;  // unique per key for the process's life: names the thread caches
};

}  // namespace urna::jwt
