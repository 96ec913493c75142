#include "app/distributed_stack.h"

#include "adapters/dynamodb/dynamo_gateways.h"
#include "adapters/dynamodb/dynamo_node_leases.h"
#include "adapters/dynamodb/dynamo_state_tables.h"

namespace urna::app {

Result<DistributedConfig> DistributedConfig::Make(const DistributedOptions& options) {
  DistributedConfig c;
  auto k = kafka::KafkaConfig::Make(options.kafka_brokers, options.topic, options.kafka_config);
  if (!k.ok()) return k.status();
  c.kafka = std::move(*k);
  auto d = dynamodb::DynamoConfig::FromEnvironment();
  if (!d.ok()) return d.status();
  c.dynamo = std::move(*d);
  return c;
}

Result<std::unique_ptr<DistributedStack>> DistributedStack::Open(const DistributedOptions& options,
                                                                 const DistributedConfig& config) {
  auto s = std::make_unique<DistributedStack>();
  auto client = dynamodb::MakeCurlClient(config.dynamo);
  if (!client.ok()) return client.status();
  s->dynamo = std::move(*client);
  auto catalog = dynamodb::DynamoCatalog::Open(*s->dynamo, options.table_prefix);
  if (!catalog.ok()) {
    return Status(catalog.status().code(),
                  "cannot load the elections: " + catalog.status().message());
  }
  s->catalog = std::move(*catalog);
  s->tables.prefix = options.table_prefix;
  s->tables.topic = options.topic;
  s->state = std::make_unique<dynamodb::DynamoProcessorState>(*s->dynamo, s->tables);
  return s;
}

std::vector<dynamodb::TableSpec> AllTableSpecs(const DistributedOptions& options) {
  std::vector<dynamodb::TableSpec> specs;
  specs.push_back(dynamodb::DynamoCatalog::Spec(options.table_prefix));
  for (auto& spec : dynamodb::StateTableSpecs(options.table_prefix)) specs.push_back(spec);
  specs.push_back(dynamodb::DynamoNodeLeases::Spec(options.table_prefix));
  specs.push_back(dynamodb::DynamoGateways::Spec(options.table_prefix));
  return specs;
}

}  // namespace urna::app
