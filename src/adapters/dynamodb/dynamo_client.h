// DynamoClient: DynamoDB's JSON protocol (HTTP POST /, `X-Amz-Target: DynamoDB_20120810.<Op>`,
// SigV4-signed) for the distributed deployment's adapters (ledger, checkpoints, catalog, node
// leases). Requests and responses are JSON text in DynamoDB's wire format ({"S": ...}, {"N":
// ...}); callers build and parse them with Boost.JSON in their .cc files, so this header stays
// light. Implementation: libcurl (multi interface driven by one worker thread per client,
// keep-alive connections, up to max_in_flight requests on the wire), retries with exponential
// backoff and full jitter on throttling, 5xx and connection errors (docs/architecture.md §3).
// A retry re-sends the same request: a conditional write may then fail on its own earlier
// success (its answer was lost): re-read and compare (dynamo_catalog.cc does).
// Thread-safe: any thread may call; calls block the caller (never call from the network
// threads). Owned by the role that uses it (one per process); destroy it only once no call is
// in progress.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/dynamodb/sigv4.h"
#include "core/status.h"

namespace urna::dynamodb {

// Looks up an environment variable: nullptr when unset.
using EnvLookup = std::function<const char*(const char*)>;

// Where and how to reach DynamoDB. FromEnvironment() reads the variables the AWS ecosystem
// names: AWS_ENDPOINT_URL_DYNAMODB (else AWS_ENDPOINT_URL, else
// https://dynamodb.<region>.amazonaws.com, which needs the region), AWS_REGION (else
// AWS_DEFAULT_REGION; us-east-1 with an endpoint URL), AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY (both required), AWS_SESSION_TOKEN; and urna's tunables
// URNA_DYNAMODB_MAX_IN_FLIGHT (1..1024), URNA_DYNAMODB_MAX_ATTEMPTS (1..100),
// URNA_DYNAMODB_TIMEOUT_MS (100..600000, one attempt).
struct DynamoConfig {
  std::string endpoint;  // "http://127.0.0.1:8000" or "https://dynamodb.eu-west-1.amazonaws.com"
  std::string region = "us-east-1";
  AwsCredentials credentials;
  int max_in_flight = 64;                      // requests in flight at once (CallAll)
  int max_attempts = 8;                        // per request, first try included
  std::chrono::milliseconds base_backoff{25};  // doubles per retry, full jitter
  std::chrono::milliseconds max_backoff{2000};
  std::chrono::milliseconds request_timeout{5000};  // one attempt
  // The largest response body read (kInternal, not retried, beyond): DynamoDB's largest answers
  // (a 1 MB Scan or Query page, a 16 MB BatchGetItem) fit.
  size_t max_response_bytes = 32 << 20;

  // kInvalidArgument naming the missing or malformed variable.
  static Result<DynamoConfig> FromEnvironment();
  // The same over `env` (tests).
  static Result<DynamoConfig> FromEnvironment(const EnvLookup& env);
};

// One DynamoDB operation to run: "PutItem", "GetItem", "Query", "BatchWriteItem", ... and its
// JSON request body. A request may bound itself tighter than the client's config (a lease
// renewal that must give up before the lease runs out; a background refresh that simply tries
// again at its next tick): 0 means the config's value.
struct DynamoRequest {
  std::string operation;
  std::string body;
  int max_attempts = 0;                  // first try included
  std::chrono::milliseconds timeout{0};  // one attempt
};

// Errors are mapped once, here, for every adapter:
//   ConditionalCheckFailedException -> kConflict (not retried: the condition decided);
//   ResourceInUseException (CreateTable of a table that exists) -> kConflict;
//   ResourceNotFoundException -> kNotFound ("table ... does not exist: run `urna init`");
//   ValidationException, SerializationException, bad credentials, other 4xx -> kInternal (a bug
//   or misconfiguration of this process, never the API caller's fault: core/status.h);
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

// The libcurl client (dynamo_curl_client.cc); kInvalidArgument for a malformed endpoint.
Result<std::unique_ptr<DynamoClient>> MakeCurlClient(DynamoConfig config);

// A table as `urna init` creates it: each adapter declares its own (pay-per-request billing).
struct TableSpec {
  std::string name;               // prefix included: "urna-ledger"
  std::string create_table_json;  // the CreateTable request body
};

// A PAY_PER_REQUEST table with a string hash key and, unless `range` is empty, a range key of
// attribute type `range_type` ("S" or "N").
TableSpec PayPerRequestTable(std::string name, std::string_view hash, std::string_view range,
                             std::string_view range_type);

// Creates the table unless it exists (ResourceInUseException is success), then waits until it
// is ACTIVE (kUnavailable after `active_timeout`). Returns true if it created it, false if it
// was there already; kConflict if it was there with another key schema (attributes, indexes
// and billing are not compared).
Result<bool> EnsureTable(DynamoClient& client, const TableSpec& spec,
                         std::chrono::milliseconds active_timeout = std::chrono::seconds(60));

}  // namespace urna::dynamodb
