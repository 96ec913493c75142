// BatchWriteAll: many idempotent writes (receipts, say) through BatchWriteItem, which takes 25
// at a time and, when throttled, answers 200 with the ones it did not apply in
// `UnprocessedItems`: those are sent again after a full-jitter backoff until none is left or
// the rounds run out. BatchWriteItem has no conditions: use it only for writes that may be
// repeated (a retry or a replay writes the same item again). Blocking; any thread (not the
// network threads).
#pragma once

#include <string>
#include <vector>

#include "adapters/dynamodb/dynamo_client.h"

namespace urna::dynamodb {

// How hard BatchWriteAll tries: rounds of resending unprocessed items and their backoff
// (full jitter, as DynamoConfig's).
struct BatchOptions {
  int max_rounds = 8;
  std::chrono::milliseconds base_backoff{25};
  std::chrono::milliseconds max_backoff{2000};
};

// Writes every request of `write_requests` (each the JSON text of one WriteRequest:
// {"PutRequest":{"Item":{...}}} or {"DeleteRequest":{"Key":{...}}}) into `table`, the chunks
// of 25 concurrently (DynamoClient::CallAll). Unprocessed items are resent for up to
// max_rounds rounds; then kUnavailable. A chunk's error (DynamoClient's mapping, e.g.
// kInvalidArgument for a malformed request) is returned; chunks that succeeded stay written.
Status BatchWriteAll(DynamoClient& client, const std::string& table,
                     const std::vector<std::string>& write_requests, BatchOptions options = {});

}  // namespace urna::dynamodb
