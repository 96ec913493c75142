// DynamoClient: DynamoDB's JSON protocol (HTTP POST /, `X-Amz-Target: DynamoDB_20120810.<Op>`,
// SigV4-signed) for the distributed deployment's adapters (ledger, checkpoints, catalog, node
// leases). Requests and responses are JSON text in DynamoDB's wire format ({"S": ...}, {"N":
// ...}); callers build and parse them with Boost.JSON in their .cc files, so this header stays
// light. Implementation: libcurl (multi interface, keep-alive connections, many requests in
// flight), retries with exponential backoff and full jitter on throttling, 5xx and connection
// errors (docs/architecture.md §3). Thread-safe: any thread may call; calls block the caller
// (never call from the network threads). Owned by the role that uses it (one per process).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/dynamodb/sigv4.h"
#include "core/status.h"

namespace urna::dynamodb {

// Where and how to reach DynamoDB. FromEnvironment() reads the variables the AWS ecosystem
// names: AWS_ENDPOINT_URL_DYNAMODB (else AWS_ENDPOINT_URL, else
// https://dynamodb.<region>.amazonaws.com), AWS_REGION (else AWS_DEFAULT_REGION),
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN.
struct DynamoConfig {
  std::string endpoint;  // "http://127.0.0.1:8000" or "https://dynamodb.eu-west-1.amazonaws.com"
  std::string region = "us-east-1";
  AwsCredentials credentials;
  int max_in_flight = 64;                      // requests in flight at once (CallAll)
  int max_attempts = 8;                        // per request, first try included
  std::chrono::milliseconds base_backoff{25};  // doubles per retry, full jitter
  std::chrono::milliseconds max_backoff{2000};
  std::chrono::milliseconds request_timeout{5000};  // one attempt

  // kInvalidArgument naming the missing or malformed variable.
  static Result<DynamoConfig> FromEnvironment();
};

// One DynamoDB operation to run: "PutItem", "GetItem", "Query", "BatchWriteItem", ... and its
// JSON request body.
struct DynamoRequest {
  std::string operation;
  std::string body;
};

// Errors are mapped once, here, for every adapter:
//   ConditionalCheckFailedException -> kConflict (not retried: the condition decided);
//   ValidationException, SerializationException, other 4xx -> kInvalidArgument (a bug: logged);
//   ResourceNotFoundException -> kNotFound ("table ... does not exist: run `urna init`");
//   throttling (ProvisionedThroughputExceeded, Throttling, RequestLimitExceeded), 5xx,
//   connection errors and timeouts -> retried; kUnavailable once max_attempts are spent.
// The Status message carries DynamoDB's own __type and message.
class DynamoClient {
 public:
  virtual ~DynamoClient() = default;
  // Runs one request (with retries); the response body (JSON text) or the mapped error.
  virtual Result<std::string> Call(const DynamoRequest& request) = 0;
  // Runs many requests concurrently (up to max_in_flight at once, each with its own retries)
  // and returns their results in the order given.
  virtual std::vector<Result<std::string>> CallAll(const std::vector<DynamoRequest>& requests) = 0;
};

// The libcurl client (dynamo_curl_client.cc).
std::unique_ptr<DynamoClient> MakeCurlClient(DynamoConfig config);

// A table as `urna init` creates it: each adapter declares its own (pay-per-request billing).
struct TableSpec {
  std::string name;               // prefix included: "urna-ledger"
  std::string create_table_json;  // the CreateTable request body
};

// Creates the table unless it exists (ResourceInUseException is success), then waits until it
// is ACTIVE. Returns true if it created it, false if it was there already.
Result<bool> EnsureTable(DynamoClient& client, const TableSpec& spec);

}  // namespace urna::dynamodb
