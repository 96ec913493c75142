// `urna init`: the Kafka topic and every DynamoDB table, created unless they exist.
#include <spdlog/spdlog.h>

#include <cstdio>

#include "adapters/dynamodb/dynamo_client.h"
#include "adapters/kafka/kafka_admin.h"
#include "app/distributed_roles.h"
#include "app/distributed_stack.h"

namespace urna::app {

int RunInit(const InitOptions& o) {
  auto config = DistributedConfig::Make(o.dist);
  if (!config.ok()) {
    std::fprintf(stderr, "urna init: %s\n", config.status().message().c_str());
    return 2;
  }
  auto topic = kafka::EnsureTopic(config->kafka, o.partitions, o.replication);
  if (!topic.ok()) {
    std::fprintf(stderr, "urna init: topic %s: %s\n", o.dist.topic.c_str(),
                 topic.status().message().c_str());
    return 1;
  }
  std::printf("topic %s: %s, %u partitions%s%s\n", topic->topic.c_str(),
              topic->created ? "created" : "already there", topic->partitions,
              topic->note.empty() ? "" : " — ", topic->note.c_str());
  auto client = dynamodb::MakeCurlClient(config->dynamo);
  if (!client.ok()) {
    std::fprintf(stderr, "urna init: %s\n", client.status().message().c_str());
    return 2;
  }
  for (const auto& spec : AllTableSpecs(o.dist)) {
    auto made = dynamodb::EnsureTable(**client, spec);
    if (!made.ok()) {
      std::fprintf(stderr, "urna init: table %s: %s\n", spec.name.c_str(),
                   made.status().message().c_str());
      return 1;
    }
    std::printf("table %s: %s\n", spec.name.c_str(), *made ? "created" : "already there");
  }
  std::fflush(stdout);
  return 0;
}

}  // namespace urna::app
