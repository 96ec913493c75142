#include "auth/altcha.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "core/hex.h"

namespace urna {
namespace {

constexpr std::string_view kAlgorithm = "SHA-256";
constexpr size_t kMaxSalt = 200;  // ours are ~70 characters

// SHA-256 fetched once: OpenSSL 3 would otherwise look the implementation up on every call.
const EVP_MD* Sha256Md() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

std::array<unsigned char, 32> Sha256(std::string_view a, std::string_view b) {
  std::array<unsigned char, 32> md{};
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned int len = 0;
  EVP_DigestInit_ex(ctx, Sha256Md(), nullptr);
  EVP_DigestUpdate(ctx, a.data(), a.size());
  EVP_DigestUpdate(ctx, b.data(), b.size());
  EVP_DigestFinal_ex(ctx, md.data(), &len);
  EVP_MD_CTX_free(ctx);
  return md;
}

std::array<unsigned char, 32> HmacSha256(std::string_view key, std::string_view data) {
  std::array<unsigned char, 32> md{};
  unsigned int len = 0;
  HMAC(Sha256Md(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), md.data(), &len);
  return md;
}

// Standard base64 with padding (what the widget's btoa makes), nothing else: OpenSSL's decoder
// is lenient about whitespace and does not strip the padding's zero bytes, so the alphabet and
// length are checked here and the padding removed after.
bool DecodeBase64(std::string_view in, std::string& out) {
  if (in.empty() || in.size() % 4 != 0) return false;
  size_t pad = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '+' || c == '/';
    if (c == '=' && i + 2 >= in.size()) {
      ++pad;
    } else if (!alpha || pad > 0) {
      return false;
    }
  }
  out.resize(in.size() / 4 * 3);
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  if (n < 0 || static_cast<size_t>(n) < pad) return false;
  out.resize(static_cast<size_t>(n) - pad);
  return true;
}

Status Invalid(std::string message) { return {Code::kInvalidArgument, std::move(message)}; }

// "<hex>?expires=UNIX&election=ID&": checks the shape, that the election is `scope`, and
// returns the expiry (or -1).
int64_t SaltExpiry(std::string_view salt, std::string_view scope) {
  auto q = salt.find('?');
  if (q == std::string_view::npos || q == 0 || salt.size() > kMaxSalt || !salt.ends_with('&')) {
    return -1;
  }
  for (char c : salt.substr(0, q)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return -1;
  }
  int64_t expires = -1;
  bool scoped = false;
  std::string_view params = salt.substr(q + 1, salt.size() - q - 2);  // without the final '&'
  while (!params.empty()) {
    auto amp = params.find('&');
    std::string_view kv = params.substr(0, amp);
    params = amp == std::string_view::npos ? std::string_view() : params.substr(amp + 1);
    if (kv.starts_with("expires=")) {
      std::string_view digits = kv.substr(8);
      if (digits.empty() || digits.size() > 12 || expires >= 0) return -1;
      expires = 0;
      for (char c : digits) {
        if (c < '0' || c > '9') return -1;
        expires = expires * 10 + (c - '0');
      }
    } else if (kv.starts_with("election=")) {
      if (scoped || kv.substr(9) != scope) return -1;
      scoped = true;
    } else {
      return -1;
    }
  }
  return scoped ? expires : -1;
}

bool RandomBytes(void* p, size_t n) {
  return RAND_bytes(static_cast<unsigned char*>(p), static_cast<int>(n)) == 1;
}

}  // namespace

Result<AltchaChallenge> CreateAltchaChallenge(std::string_view key, std::string_view scope,
                                              uint64_t max_number, int64_t now_s, int64_t ttl_s) {
  unsigned char salt_bytes[12];
  uint64_t number = 0;
  if (!RandomBytes(salt_bytes, sizeof salt_bytes)) {
    return Status(Code::kUnavailable, "no randomness for a challenge");
  }
  if (max_number > 0) {  // uniform in [0, max_number]: reject the biased top of the range
    const uint64_t span = max_number + 1;
    const uint64_t limit = span == 0 ? 0 : UINT64_MAX - UINT64_MAX % span;
    do {
      if (!RandomBytes(&number, sizeof number)) {
        return Status(Code::kUnavailable, "no randomness for a challenge");
      }
    } while (span != 0 && number >= limit);
    if (span != 0) number %= span;
  }
  AltchaChallenge c;
  c.algorithm = std::string(kAlgorithm);
  c.maxnumber = max_number;
  c.salt = HexEncode(salt_bytes) + "?expires=" + std::to_string(now_s + ttl_s) +
           "&election=" + std::string(scope) + "&";
  auto digest = Sha256(c.salt, std::to_string(number));
  c.challenge = HexEncode(digest);
  auto sig = HmacSha256(key, c.challenge);
  c.signature = HexEncode(sig);
  return c;
}

Result<AltchaSolution> VerifyAltchaPayload(std::string_view key, std::string_view payload,
                                           std::string_view scope, int64_t now_s) {
  if (payload.size() > kAltchaMaxPayload) {
    return Invalid("altcha payload is longer than " + std::to_string(kAltchaMaxPayload) +
                   " characters");
  }
  std::string raw;
  if (!DecodeBase64(payload, raw)) return Invalid("altcha must be base64 of a JSON object");
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(raw, ec);
  const boost::json::object* o = ec ? nullptr : v.if_object();
  if (o == nullptr) return Invalid("altcha must be base64 of a JSON object");
  auto field = [o](std::string_view name) -> const boost::json::string* {
    const boost::json::value* f = o->if_contains(name);
    return f ? f->if_string() : nullptr;
  };
  const auto* algorithm = field("algorithm");
  const auto* challenge = field("challenge");
  const auto* salt = field("salt");
  const auto* signature = field("signature");
  const boost::json::value* number = o->if_contains("number");
  if (!algorithm || !challenge || !salt || !signature || !number) {
    return Invalid(
        "altcha must hold algorithm, challenge, number, salt and signature (strings; number an "
        "integer)");
  }
  if (*algorithm != kAlgorithm) return Invalid("altcha algorithm must be SHA-256");
  uint64_t n = 0;
  if (number->is_uint64()) {
    n = number->get_uint64();
  } else if (number->is_int64() && number->get_int64() >= 0) {
    n = static_cast<uint64_t>(number->get_int64());
  } else {
    return Invalid("altcha number must be a non-negative integer");
  }
  AltchaSolution s;
  std::array<unsigned char, 32> sig{};
  if (!HexDecode(*challenge, s.challenge) || !HexDecode(*signature, sig)) {
    return Invalid("altcha challenge and signature must be 64 lowercase hex digits");
  }
  // The signature says the challenge is ours; the hash binds the salt (and so the expiry and
  // election in it) to the challenge.
  auto expected_sig = HmacSha256(key, *challenge);
  if (CRYPTO_memcmp(expected_sig.data(), sig.data(), sig.size()) != 0) {
    return Invalid("altcha signature does not match: not a challenge of this server");
  }
  if (Sha256(*salt, std::to_string(n)) != s.challenge) {
    return Invalid("altcha number does not solve the challenge");
  }
  s.expires_s = SaltExpiry(*salt, scope);
  if (s.expires_s < 0) return Invalid("altcha challenge is not for this election");
  if (s.expires_s < now_s) return Invalid("altcha challenge expired: fetch a new one");
  return s;
}

size_t AltchaGuard::KeyHash::operator()(const Key& k) const {
  size_t h;
  std::memcpy(&h, k.data(), sizeof h);  // SHA-256 output: already uniform
  return h;
}

AltchaGuard::AltchaGuard(Options options) : AltchaGuard(std::string(32, '\0'), options) {
  if (!RandomBytes(key_.data(), key_.size())) {
    throw std::runtime_error("no randomness for the proof-of-work key");
  }
}

AltchaGuard::AltchaGuard(std::string key, Options options)
    : key_(std::move(key)), options_(options) {}

Result<AltchaChallenge> AltchaGuard::Create(std::string_view scope, uint64_t max_number,
                                            int64_t now_s) const {
  return CreateAltchaChallenge(key_, scope, max_number, now_s, options_.ttl_s);
}

Status AltchaGuard::Consume(std::string_view payload, std::string_view scope, int64_t now_s) {
  {
    MutexLock lock(mu_);
    now_s = now_floor_s_ = std::max(now_floor_s_, now_s);
  }
  auto s = VerifyAltchaPayload(key_, payload, scope, now_s);
  if (!s.ok()) return s.status();
  Key k;
  std::memcpy(k.data(), s->challenge.data(), k.size());
  MutexLock lock(mu_);
  PurgeLocked(now_floor_s_);
  if (used_.contains(k)) {
    return Invalid("altcha challenge was already used: fetch a new one for each vote");
  }
  if (used_.size() >= options_.capacity) {
    return Status(Code::kUnavailable, "too many proof-of-work solutions in the last " +
                                          std::to_string(options_.ttl_s) + " s (" +
                                          std::to_string(options_.capacity) + "); retry shortly");
  }
  used_.insert(k);
  expiries_.emplace(s->expires_s, k);
  return Status::Ok();
}

void AltchaGuard::PurgeLocked(int64_t now_s) {
  while (!expiries_.empty() && expiries_.top().first < now_s) {
    used_.erase(expiries_.top().second);
    expiries_.pop();
  }
}

size_t AltchaGuard::size() const {
  MutexLock lock(mu_);
  return used_.size();
}

}  // namespace urna
