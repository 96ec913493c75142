// Internal to the DynamoDB adapters; include from .cc files only (it pulls in Boost.JSON).
// BatchGetItem over many keys: split into chunks of 100 (DynamoDB's limit), sent all at once
// (DynamoClient::CallAll), and the keys DynamoDB leaves unprocessed (UnprocessedKeys:
// throttling of single items) sent again with backoff, a bounded number of times. The write
// side's counterpart is BatchWriteAll (dynamo_batch.h). Blocking; any thread.
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

}  // namespace urna::dynamodb
