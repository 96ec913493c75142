// AWS Signature Version 4 (SigV4) request signing, for the DynamoDB client of the distributed
// deployment (docs/architecture.md: there is no AWS SDK in Debian; libcurl's CURLOPT_AWS_SIGV4
// signs only what libcurl itself sends and cannot be tested step by step, so the few steps are
// written here and tested against AWS's published SigV4 test suite in sigv4_test.cc).
//
// The steps, each a function so each is tested on its own:
//   CanonicalRequest -> StringToSign -> SigningKey -> Signature -> AuthorizationHeader.
// Sign() runs them all and returns the headers to add to the request.
//
// Scope: requests the way urna sends them (DynamoDB: POST /, a JSON body). The path is taken as
// given (each segment URI-encoded once, no `.`/`..` normalization, no S3 rules); query
// parameters are given decoded and encoded here. Pure functions of their arguments: safe on
// any thread.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace urna::dynamodb {

// Access key and secret; session_token is set for temporary credentials (AWS_SESSION_TOKEN)
// and then sent, signed, as X-Amz-Security-Token.
struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;
};

// What a signature is bound to: the request time as an ISO 8601 basic-format UTC timestamp
// ("20150830T123600Z", see AmzDate), the region ("us-east-1") and the service ("dynamodb").
struct SigningScope {
  std::string amz_date;
  std::string region;
  std::string service;

  // "20150830/us-east-1/dynamodb/aws4_request"
  std::string CredentialScope() const;
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// The parts of an HTTP request that SigV4 signs. Header names in any case; values as sent.
struct RequestToSign {
  std::string method;                                      // "POST"
  std::string path;                                        // "/", not yet URI-encoded
  std::vector<std::pair<std::string, std::string>> query;  // decoded name, value
  HeaderList headers;  // must include host; every header listed is signed
  std::string_view payload;
};

// Canonical request and the `SignedHeaders` list it was built with ("host;x-amz-date").
struct CanonicalForm {
  std::string request;
  std::string signed_headers;
};

// "20150830T123600Z" for a time point (UTC, whole seconds).
std::string AmzDate(std::chrono::system_clock::time_point t);

// Task 1: method, canonical URI, canonical query string, canonical headers (lowercase names,
// sorted, values trimmed with inner runs of spaces collapsed, repeated names joined by ','),
// signed headers and the hex SHA-256 of the payload, one per line.
CanonicalForm CanonicalRequest(const RequestToSign& request);

// Task 2: "AWS4-HMAC-SHA256\n<amz_date>\n<credential scope>\n<hex SHA-256 of canonical>".
std::string StringToSign(const SigningScope& scope, std::string_view canonical_request);

// Task 3: the derived key HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service),
// "aws4_request"), 32 raw bytes.
std::string SigningKey(std::string_view secret_access_key, const SigningScope& scope);

// The lowercase hex HMAC-SHA256 of the string to sign under the signing key.
std::string Signature(std::string_view signing_key, std::string_view string_to_sign);

// Task 4: "AWS4-HMAC-SHA256 Credential=<key id>/<scope>, SignedHeaders=<...>, Signature=<...>".
std::string AuthorizationHeader(std::string_view access_key_id, const SigningScope& scope,
                                std::string_view signed_headers, std::string_view signature);

// Signs `request`: adds X-Amz-Date (and X-Amz-Security-Token for a session token) unless the
// request has them, and returns the headers to send on top of the request's own: those two
// (when added) and Authorization.
HeaderList Sign(RequestToSign request, const AwsCredentials& credentials,
                const SigningScope& scope);

}  // namespace urna::dynamodb
