// PseudonymHmac against OpenSSL's one-shot HMAC, over keys and messages of every length class
// (empty, shorter than, equal to and longer than a SHA-256 block).
#include "audit/pseudonym_hmac.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <random>
#include <string>

namespace urna {
namespace {

std::string Bytes(std::mt19937_64& rng, size_t n) {
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

TEST(PseudonymHmacTest, MatchesOpenSslHmacForEveryKeyAndMessageLength) {
  std::mt19937_64 rng(5);
  for (size_t key_size : {0, 1, 4, 32, 63, 64, 65, 128, 200}) {
    const std::string key = Bytes(rng, key_size);
    PseudonymHmac hmac(key);
    for (size_t n : {0, 1, 12, 31, 55, 56, 63, 64, 65, 119, 120, 200, 1000}) {
      for (int round = 0; round < 3; ++round) {  // the states are reused: no carry-over
        const std::string msg = Bytes(rng, n);
        unsigned char want[EVP_MAX_MD_SIZE];
        unsigned int want_size = 0;
        ASSERT_NE(
            HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
                 reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), want, &want_size),
            nullptr);
        ASSERT_EQ(want_size, 32u);
        unsigned char got[32];
        hmac.Compute(msg, got);
        EXPECT_EQ(std::string(reinterpret_cast<char*>(got), 32),
                  std::string(reinterpret_cast<char*>(want), 32))
            << "key " << key_size << " bytes, message " << n << " bytes";
      }
    }
  }
}

}  // namespace
}  // namespace urna
