// DynamoNodeLeases: the node leases and close acknowledgements of the fenced close
// (ports/node_leases.h) in the DynamoDB table `<prefix>nodes`, shared by every ingest node.
// Schema (src/adapters/dynamodb/README.md): key `pk` (S, hash) + `sk` (S, range);
//   pk "lease",        sk node id      -> `epoch` (S, random per registration), `heartbeat` (N)
//   pk "closing",      sk election id  -> `marked_at` (N, Unix ms, for people reading the table)
//   pk "ack#<election>", sk node id    -> `epoch` (S), `stopped_at` (N, the node's clock, ms)
// Register is a put-if-absent, Renew an UpdateItem conditioned on the stored (epoch, heartbeat),
// Expire a DeleteItem conditioned the same way, MarkClosing a put-if-absent; reads are
// consistent Queries. A retried
// conditional write that finds its own earlier success (a lost answer) is success.
// Thread-safe (the client is); calls block. The DynamoClient must outlive it.
#pragma once

#include <string>

#include "adapters/dynamodb/dynamo_client.h"
#include "ports/clock.h"
#include "ports/node_leases.h"

namespace urna::dynamodb {

class DynamoNodeLeases final : public NodeLeases {
 public:
  // `<prefix>nodes` as `urna init` creates it.
  static TableSpec Spec(std::string_view table_prefix);

  // `wall` stamps marked_at only (nothing depends on it).
  DynamoNodeLeases(DynamoClient& client, std::string_view table_prefix, const Clock& wall);

  Result<NodeLease> Register(std::string_view node_id) override;
  Result<NodeLease> Renew(const NodeLease& lease) override;
  Status Expire(const NodeLease& lease) override;
  Result<std::vector<NodeLease>> Leases() override;
  Status MarkClosing(std::string_view election_id) override;
  Result<std::vector<std::string>> Closing() override;
  Status Acknowledge(std::string_view election_id, const CloseAck& ack) override;
  Result<std::vector<CloseAck>> Acks(std::string_view election_id) override;

 private:
  // The stored lease of `node_id` (consistent read); nullopt-like kNotFound when absent.
  Result<NodeLease> Read(std::string_view node_id);

  DynamoClient& client_;
  const std::string table_;
  const Clock& wall_;
};

}  // namespace urna::dynamodb
