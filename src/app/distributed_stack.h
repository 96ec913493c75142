// DistributedStack: what every role of the distributed deployment opens from its configuration —
// the Kafka settings (with the operator's properties file read and checked), the DynamoDB client
// and the DynamoDB adapters both roles use (catalog, processor state) — built in one place for
// `urna ingest` and `urna process`; plus the list of every table `urna init` creates. Owned by the
// role's main; members are thread-safe as documented on each class and are destroyed in reverse
// order (the adapters before the client they call through).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "adapters/dynamodb/dynamo_catalog.h"
#include "adapters/dynamodb/dynamo_client.h"
#include "adapters/dynamodb/dynamo_processor_state.h"
#include "adapters/dynamodb/dynamo_state_tables.h"
#include "adapters/kafka/kafka_config.h"
#include "app/distributed_options.h"

namespace urna::app {

// The configuration half: kInvalidArgument (exit 2) for a bad properties file or AWS_* setting.
struct DistributedConfig {
  kafka::KafkaConfig kafka;
  dynamodb::DynamoConfig dynamo;

  static Result<DistributedConfig> Make(const DistributedOptions& options);
};

struct DistributedStack {
  // Connects to DynamoDB and loads the catalog (kNotFound naming the table if `urna init` has not
  // run; kUnavailable when DynamoDB does not answer).
  static Result<std::unique_ptr<DistributedStack>> Open(const DistributedOptions& options,
                                                        const DistributedConfig& config);

  dynamodb::StateTables tables;  // names of the ledger, receipts and checkpoints tables
  std::unique_ptr<dynamodb::DynamoClient> dynamo;
  std::unique_ptr<dynamodb::DynamoCatalog> catalog;
  std::unique_ptr<dynamodb::DynamoProcessorState> state;
};

// Every DynamoDB table of a deployment with this prefix (elections, ledger, receipts,
// checkpoints, nodes), for `urna init`.
std::vector<dynamodb::TableSpec> AllTableSpecs(const DistributedOptions& options);

}  // namespace urna::app
