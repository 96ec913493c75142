// Internal to the DynamoDB adapters; include from .cc files only (it pulls in Boost.JSON).
// BatchGetItem and BatchWriteItem over many items: split into DynamoDB's request limits, sent
// all at once (DynamoClient::CallAll), and what DynamoDB leaves unprocessed (UnprocessedKeys,
// UnprocessedItems: throttling of single items) sent again with backoff, a bounded number of
// times. Blocking; any thread.
#pragma once

#include <boost/json/object.hpp>
#include <string_view>
#include <utility>
#include <vector>

#include "adapters/dynamodb/dynamo_client.h"
#include "core/status.h"

namespace urna::dynamodb {

// The items of `table` with these keys (consistent reads; absent keys have no item), in no
// particular order. `projection` (may be empty) and `names` (its #placeholders) narrow them.
// Keys must be distinct. kUnavailable when keys stay unprocessed.
Result<std::vector<boost::json::object>> BatchGet(
    DynamoClient& client, std::string_view table, std::vector<boost::json::object> keys,
    std::string_view projection, std::vector<std::pair<std::string, std::string>> names);

// Puts `items` into `table` unconditionally (items must have distinct keys).
Status BatchPut(DynamoClient& client, std::string_view table,
                std::vector<boost::json::object> items);

}  // namespace urna::dynamodb
