#include "auth/jwt_hs256.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <atomic>

#include "sync/mutex.h"

namespace urna::jwt {
namespace {

// base64url by hand: OpenSSL's decoder (EVP_DecodeBlock) takes the standard alphabet with
// padding and skips whitespace, which a strict JWS reader must refuse; libb64 likewise.
constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::array<int8_t, 256> DecodeTable() {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (size_t i = 0; i < kAlphabet.size(); ++i) t[static_cast<unsigned char>(kAlphabet[i])] = i;
  return t;
}
constexpr std::array<int8_t, 256> kDecode = DecodeTable();

std::atomic<uint64_t> next_key_id{1};
Mutex dup_mu;  // EVP_MAC_CTX_dup reads the template: one thread at a time, rarely

// Each thread's MAC context for the last key it used (one entry: a process verifies with one
// voter secret; tests that switch keys only pay a duplication).
struct ThreadMac {
  uint64_t key_id = 0;
  EVP_MAC_CTX* ctx = nullptr;
  ~ThreadMac() { EVP_MAC_CTX_free(ctx); }
};
thread_local ThreadMac thread_mac;

}  // namespace

int DecodeBase64Url(std::string_view in, unsigned char* out, size_t out_cap) {
  if (in.size() % 4 == 1) return -1;
  const size_t n = in.size() / 4 * 3 + (in.size() % 4 == 0 ? 0 : in.size() % 4 - 1);
  if (n > out_cap) return -1;
  uint32_t acc = 0;
  int bits = 0;
  size_t o = 0;
  for (char c : in) {
    int v = kDecode[static_cast<unsigned char>(c)];
    if (v < 0) return -1;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = static_cast<unsigned char>(acc >> bits);
      acc &= (1u << bits) - 1;
    }
  }
  if (acc != 0) return -1;  // leftover bits must be zero: one encoding per byte string
  return static_cast<int>(o);
}

std::string EncodeBase64Url(std::string_view in) {
  std::string out;
  out.reserve((in.size() * 4 + 2) / 3);
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(acc >> bits) & 63]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 63]);
  return out;
}

Hs256Key::Hs256Key(std::string_view secret) : id_(next_key_id.fetch_add(1)) {
  if (secret.empty()) return;  // HS256 without a key is no signature: every token refused
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr);
  if (mac == nullptr) return;
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
  EVP_MAC_free(mac);  // the context holds its own reference
  if (ctx == nullptr) return;
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_construct_end()};
  if (EVP_MAC_init(ctx, reinterpret_cast<const unsigned char*>(secret.data()), secret.size(),
                   params) != 1) {
    EVP_MAC_CTX_free(ctx);
    return;
  }
  template_ = ctx;
}

Hs256Key::~Hs256Key() { EVP_MAC_CTX_free(template_); }

bool Hs256Key::Mac(std::string_view data, std::array<unsigned char, 32>& mac) const {
  if (template_ == nullptr) return false;
  ThreadMac& t = thread_mac;
  if (t.key_id == id_) {
    // Same key as this thread's last call: restart the context, keeping its key.
    if (EVP_MAC_init(t.ctx, nullptr, 0, nullptr) != 1) return false;
  } else {
    EVP_MAC_CTX* fresh;
    {
      MutexLock lock(dup_mu);
      fresh = EVP_MAC_CTX_dup(template_);
    }
    if (fresh == nullptr) return false;
    EVP_MAC_CTX_free(t.ctx);
    t.ctx = fresh;
    t.key_id = id_;
  }
  size_t len = 0;
  if (EVP_MAC_update(t.ctx, reinterpret_cast<const unsigned char*>(data.data()), data.size()) !=
          1 ||
      EVP_MAC_final(t.ctx, mac.data(), &len, mac.size()) != 1 || len != mac.size()) {
    t.key_id = 0;  // start over from the template next time
    return false;
  }
  return true;
}

}  // namespace urna::jwt
