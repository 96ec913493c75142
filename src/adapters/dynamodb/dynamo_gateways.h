// DynamoGateways: trusted gateways (ports/gateway_store.h) and their refs in the DynamoDB table
// `<prefix>gateways`, shared by every ingest node. Key `pk` (S, hash) + `sk` (S, range):
//   pk "gateway", sk gateway id            -> `secret_sha256` (S), `created_at` (N, ms),
//                                             `revoked_at` (N, ms; absent = not revoked),
//                                             `elections` (S, ids joined by ','; "" = all)
//   pk "ref#<gateway>#<election>#<ref>", sk "-" -> `vote_id` (S)
// (ids never hold '#' or ','; the ref comes last, so any ref is unambiguous). Create is a
// put-if-absent, Revoke an UpdateItem conditional on the item; the refs are read with
// BatchGetItem and written with BatchWriteItem (no conditions: two retries of one ref racing
// each other may leave either vote_id, and both votes are then in the log, counted once).
// Thread-safe (the client is); calls block. The DynamoClient must outlive it.
#pragma once

#include <string>

#include "adapters/dynamodb/dynamo_client.h"
#include "ports/gateway_store.h"

namespace urna::dynamodb {

class DynamoGateways final : public GatewayStore, public GatewayRefs {
 public:
  // `<prefix>gateways` as `urna init` creates it.
  static TableSpec Spec(std::string_view table_prefix);

  DynamoGateways(DynamoClient& client, std::string_view table_prefix);

  Status Create(const Gateway& gateway) override;
  Result<Gateway> Revoke(std::string_view id, int64_t now_ms) override;
  Result<std::vector<Gateway>> List() override;

  // Keys are IngestService::RefKey's: gateway, election and ref joined by '\0'.
  Result<std::vector<GatewayRef>> Find(const std::vector<std::string>& keys) override;
  // One conditional PutItem per ref (attribute_not_exists): the first vote_id stored is kept.
  Status Record(const std::vector<std::pair<std::string, GatewayRef>>& refs) override;

 private:
  DynamoClient& client_;
  const std::string table_;
};

}  // namespace urna::dynamodb
