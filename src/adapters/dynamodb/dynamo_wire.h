// The transport-independent parts of one DynamoDB HTTP exchange, shared by the curl client and
// its tests: the endpoint's parts, the signed headers of a request, what an answer means (done,
// retry, or a mapped error: see dynamo_client.h) and the backoff before a retry. Pure functions
// (Backoff takes the random source): safe on any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>

#include "adapters/dynamodb/dynamo_client.h"
#include "adapters/dynamodb/sigv4.h"
#include "core/status.h"

namespace urna::dynamodb {

// An endpoint URL split for sending and signing: the URL requests go to, and the Host header
// (host, and ":port" when the URL names one) that is signed and sent.
struct Endpoint {
  std::string url;   // "http://127.0.0.1:8000/"
  std::string host;  // "127.0.0.1:8000"
};

// kInvalidArgument unless `url` is http(s)://host[:port][/].
Result<Endpoint> ParseEndpoint(std::string_view url);

// The headers of a signed DynamoDB request for `operation` at time `now`: Content-Type, Host,
// X-Amz-Target, X-Amz-Date, X-Amz-Security-Token (session credentials) and Authorization.
HeaderList SignedHeaders(const DynamoConfig& config, const Endpoint& endpoint,
                         std::string_view operation, std::string_view body,
                         std::chrono::system_clock::time_point now);

// What one attempt's outcome means.
enum class Verdict {
  kDone,   // 200: the body is the response
  kRetry,  // throttling, 5xx, connection error, timeout: try again after a backoff
  kFail,   // the mapped error is final (condition failed, missing table, a bad request)
};

struct Outcome {
  Verdict verdict;
  Status status;  // not ok for kRetry (the error to report once attempts run out) and kFail
};

// Classifies an HTTP answer (`http_status` > 0, `body` DynamoDB's JSON) or, with http_status 0,
// a transport failure described by `transport_error`. The Status names `operation`, DynamoDB's
// error type and its message.
Outcome Classify(std::string_view operation, long http_status, std::string_view body,
                 std::string_view transport_error);

// The error type of a DynamoDB error body without its namespace ("ConditionalCheckFailed
// Exception" from "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException"); empty if
// the body is not an error.
std::string ErrorType(std::string_view body);

// The wait before retry number `retry` (1 = the first retry): full jitter, uniform in
// [0, min(max_backoff, base_backoff * 2^(retry-1))].
std::chrono::milliseconds Backoff(const DynamoConfig& config, int retry, std::mt19937_64& rng);

}  // namespace urna::dynamodb
