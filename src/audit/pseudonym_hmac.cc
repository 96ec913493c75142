// OpenSSL 3 marks the SHA256_* functions deprecated in favour of EVP, whose per-call context
// duplication is what this file avoids (see the header). They remain in OpenSSL 3's API.
#define OPENSSL_SUPPRESS_DEPRECATED

#include "audit/pseudonym_hmac.h"

#include <openssl/crypto.h>

#include <cstring>

namespace urna {

PseudonymHmac::PseudonymHmac(std::string_view key) {
  unsigned char block[SHA256_CBLOCK] = {};  // the key, hashed first if longer than a block
  if (key.size() > sizeof block) {
    SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), block);
  } else {
    std::memcpy(block, key.data(), key.size());
  }
  unsigned char pad[SHA256_CBLOCK];
  for (size_t i = 0; i < sizeof pad; ++i) pad[i] = block[i] ^ 0x36;
  SHA256_Init(&inner_);
  SHA256_Update(&inner_, pad, sizeof pad);
  for (size_t i = 0; i < sizeof pad; ++i) pad[i] = block[i] ^ 0x5c;
  SHA256_Init(&outer_);
  SHA256_Update(&outer_, pad, sizeof pad);
  OPENSSL_cleanse(block, sizeof block);
  OPENSSL_cleanse(pad, sizeof pad);
}

PseudonymHmac::~PseudonymHmac() {
  OPENSSL_cleanse(&inner_, sizeof inner_);
  OPENSSL_cleanse(&outer_, sizeof outer_);
}

void PseudonymHmac::Compute(std::string_view message, unsigned char (&out)[32]) const {
  SHA256_CTX c = inner_;
  SHA256_Update(&c, message.data(), message.size());
  unsigned char inner_hash[SHA256_DIGEST_LENGTH];
  SHA256_Final(inner_hash, &c);
  c = outer_;
  SHA256_Update(&c, inner_hash, sizeof inner_hash);
  SHA256_Final(out, &c);
  // The copied context holds the key-derived state and the inner hash is one step from the
  // pseudonym: neither stays on the stack.
  OPENSSL_cleanse(&c, sizeof c);
  OPENSSL_cleanse(inner_hash, sizeof inner_hash);
}

}  // namespace urna
