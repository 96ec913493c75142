// PseudonymHmac: HMAC-SHA256(audit key, voter id), the ledger export's pseudonym, computed per
// row without allocating. The key's inner and outer SHA-256 states (RFC 2104: the key block xor
// ipad / opad, one compression each) are computed once; each pseudonym copies them and hashes
// the voter id (usually two compressions in all). Written on OpenSSL's SHA-256 (its SHA-NI /
// AVX2 code) because OpenSSL 3's EVP_MAC restarts an HMAC by duplicating the provider's digest
// contexts (an allocation, a copy and a cleanse per row: a fifth of the ledger pass's CPU);
// checked against OpenSSL's own HMAC in pseudonym_hmac_test.cc. Owned by one LedgerExport;
// single-threaded (each copy of the states is its own).
#pragma once

#include <openssl/sha.h>

#include <string_view>

namespace urna {

class PseudonymHmac {
 public:
  explicit PseudonymHmac(std::string_view key);
  ~PseudonymHmac();
  PseudonymHmac(const PseudonymHmac&) = delete;
  PseudonymHmac& operator=(const PseudonymHmac&) = delete;

  // HMAC-SHA256(key, message) into `out`.
  void Compute(std::string_view message, unsigned char (&out)[32]) const;

 private:
  SHA256_CTX inner_, outer_;  // after the key block xor ipad / opad
};

}  // namespace urna
