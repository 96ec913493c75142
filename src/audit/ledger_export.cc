#include "audit/ledger_export.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <stdexcept>

namespace urna {
namespace {

std::string Hex(const unsigned char* p, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kHex[p[i] >> 4]);
    out.push_back(kHex[p[i] & 15]);
  }
  return out;
}

}  // namespace

// OpenSSL state: an HMAC context keyed once (duplicated per pseudonym, which is much cheaper
// than keying each time) and a SHA-256 context for the digest.
struct LedgerExport::Impl {
  EVP_MAC* mac = nullptr;
  EVP_MAC_CTX* keyed = nullptr;
  EVP_MD_CTX* sha = nullptr;
  ~Impl() {
    EVP_MD_CTX_free(sha);
    EVP_MAC_CTX_free(keyed);
    EVP_MAC_free(mac);
  }
};

LedgerExport::LedgerExport(std::string_view audit_key) : impl_(std::make_unique<Impl>()) {
  impl_->mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  impl_->keyed = impl_->mac ? EVP_MAC_CTX_new(impl_->mac) : nullptr;
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_construct_end()};
  if (!impl_->keyed ||
      EVP_MAC_init(impl_->keyed, reinterpret_cast<const unsigned char*>(audit_key.data()),
                   audit_key.size(), params) != 1) {
    throw std::runtime_error("cannot set up HMAC-SHA256 for the audit export");
  }
  impl_->sha = EVP_MD_CTX_new();
}

LedgerExport::~LedgerExport() = default;

std::string LedgerExport::Pseudonym(std::string_view voter_id) {
  EVP_MAC_CTX* c = EVP_MAC_CTX_dup(impl_->keyed);
  unsigned char out[EVP_MAX_MD_SIZE];
  size_t n = 0;
  EVP_MAC_update(c, reinterpret_cast<const unsigned char*>(voter_id.data()), voter_id.size());
  EVP_MAC_final(c, out, &n, sizeof out);
  EVP_MAC_CTX_free(c);
  return Hex(out, n);
}

Result<LedgerSummary> LedgerExport::Run(Ledger& ledger, std::string_view election_id,
                                        const std::function<void(std::string_view)>& row_sink,
                                        const std::function<void()>& on_row) {
  LedgerSummary sum;
  EVP_DigestInit_ex(impl_->sha, EVP_sha256(), nullptr);
  std::string row;
  auto s = ledger.ScanCounted(election_id, [&](const Receipt& r) {
    row.clear();
    row += r.vote_id;
    row += ',';
    row += Pseudonym(r.voter_id);
    row += ',';
    row += r.option_id;  // option ids are [A-Za-z0-9_.-]: no CSV quoting needed
    row += ',';
    row += std::to_string(r.ingest_time_ms);
    row += '\n';
    EVP_DigestUpdate(impl_->sha, row.data(), row.size());
    if (row_sink) row_sink(row);
    ++sum.counts[r.option_id];
    ++sum.rows;
    if (on_row) on_row();
    return true;
  });
  if (!s.ok()) return s;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(impl_->sha, md, &n);
  sum.digest_hex = Hex(md, n);
  return sum;
}

}  // namespace urna
