#include "adapters/dynamodb/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>

#include "core/hex.h"

namespace urna::dynamodb {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

std::string Sha256(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(md), len);
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), md, &len);
  return std::string(reinterpret_cast<const char*>(md), len);
}

bool Unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

// RFC 3986 percent-encoding of every byte but the unreserved ones (uppercase hex, as SigV4
// requires); '/' is kept when keep_slash.
std::string UriEncode(std::string_view s, bool keep_slash) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (Unreserved(c) || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kDigits[c >> 4]);
      out.push_back(kDigits[c & 0xf]);
    }
  }
  return out;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Trims spaces and tabs at both ends and collapses inner runs of them to one space.
std::string TrimValue(std::string_view v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

bool HasHeader(const HeaderList& headers, std::string_view lower_name) {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& h) { return Lower(h.first) == lower_name; });
}

}  // namespace

std::string SigningScope::CredentialScope() const {
  return amz_date.substr(0, 8) + "/" + region + "/" + service + "/aws4_request";
}

std::string AmzDate(std::chrono::system_clock::time_point t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];  // room for any int year, so no truncation
  // Years 0..9999 keep the fixed width of the basic format; DynamoDB rejects times far off now.
  std::snprintf(buf, sizeof buf, "%04d%02d%02dT%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

CanonicalForm CanonicalRequest(const RequestToSign& request) {
  std::string out = request.method + "\n";
  out += UriEncode(request.path.empty() ? "/" : request.path, /*keep_slash=*/true) + "\n";

  std::vector<std::pair<std::string, std::string>> query;
  for (const auto& [k, v] : request.query) {
    query.emplace_back(UriEncode(k, false), UriEncode(v, false));
  }
  std::sort(query.begin(), query.end());
  for (size_t i = 0; i < query.size(); ++i) {
    out += (i ? "&" : "") + query[i].first + "=" + query[i].second;
  }
  out += "\n";

  HeaderList headers;
  for (const auto& [name, value] : request.headers) {
    headers.emplace_back(Lower(name), TrimValue(value));
  }
  // Stable: values of a repeated header keep their order when joined.
  std::stable_sort(headers.begin(), headers.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string signed_headers;
  for (size_t i = 0; i < headers.size(); ++i) {
    bool repeat = i > 0 && headers[i].first == headers[i - 1].first;
    if (repeat) {
      out += "," + headers[i].second;
      continue;
    }
    if (i > 0) {
      out += "\n";
      signed_headers += ";";
    }
    out += headers[i].first + ":" + headers[i].second;
    signed_headers += headers[i].first;
  }
  out += "\n\n" + signed_headers + "\n" + HexEncode(Sha256(request.payload));
  return {std::move(out), std::move(signed_headers)};
}

std::string StringToSign(const SigningScope& scope, std::string_view canonical_request) {
  return std::string(kAlgorithm) + "\n" + scope.amz_date + "\n" + scope.CredentialScope() + "\n" +
         HexEncode(Sha256(canonical_request));
}

std::string SigningKey(std::string_view secret_access_key, const SigningScope& scope) {
  std::string key =
      HmacSha256("AWS4" + std::string(secret_access_key), scope.amz_date.substr(0, 8));
  key = HmacSha256(key, scope.region);
  key = HmacSha256(key, scope.service);
  return HmacSha256(key, "aws4_request");
}

std::string Signature(std::string_view signing_key, std::string_view string_to_sign) {
  return HexEncode(HmacSha256(signing_key, string_to_sign));
}

std::string AuthorizationHeader(std::string_view access_key_id, const SigningScope& scope,
                                std::string_view signed_headers, std::string_view signature) {
  std::string out(kAlgorithm);
  out += " Credential=";
  out += access_key_id;
  out += "/" + scope.CredentialScope() + ", SignedHeaders=";
  out += signed_headers;
  out += ", Signature=";
  out += signature;
  return out;
}

HeaderList Sign(RequestToSign request, const AwsCredentials& credentials,
                const SigningScope& scope) {
  HeaderList added;
  if (!HasHeader(request.headers, "x-amz-date")) added.emplace_back("X-Amz-Date", scope.amz_date);
  if (!credentials.session_token.empty() && !HasHeader(request.headers, "x-amz-security-token")) {
    added.emplace_back("X-Amz-Security-Token", credentials.session_token);
  }
  request.headers.insert(request.headers.end(), added.begin(), added.end());
  CanonicalForm canonical = CanonicalRequest(request);
  std::string signature = Signature(SigningKey(credentials.secret_access_key, scope),
                                    StringToSign(scope, canonical.request));
  added.emplace_back("Authorization", AuthorizationHeader(credentials.access_key_id, scope,
                                                          canonical.signed_headers, signature));
  return added;
}

}  // namespace urna::dynamodb
