// DistributedOptions: the settings every role of the distributed deployment (`urna init`,
// `urna ingest`, `urna process`, `urna results`) shares — where Kafka is, which topic, which
// DynamoDB tables, where the Redis read model is —
// read from the environment as their ecosystems name it, then overridden by flags
// (src/cmd/main.cc, docs/operations.md "Distributed mode"). DynamoDB's endpoint, region and
// credentials are DynamoConfig::FromEnvironment's (AWS_*), not repeated here. Plain values:
// built once at start-up on the main thread.
#pragma once

#include <functional>
#include <string>

#include "auth/secrets.h"
#include "core/status.h"

namespace urna::app {

// Reads one environment variable: nullptr when unset. std::getenv in production, a map in tests.
using EnvLookup = std::function<const char*(const char*)>;
EnvLookup ProcessEnvironment();

struct DistributedOptions {
  std::string kafka_brokers;           // --kafka / URNA_KAFKA_BROKERS: "host:port,host:port"
  std::string kafka_config;            // --kafka-config / URNA_KAFKA_CONFIG: a properties file
  std::string topic = "urna.votes";    // --topic / URNA_TOPIC
  std::string table_prefix = "urna-";  // --table-prefix / URNA_TABLE_PREFIX
  // --redis / URNA_REDIS_URL: redis://[[user]:password@]host[:port][/db] (adapters/redis). Empty:
  // `urna process` publishes no results; `urna results` requires it.
  std::string redis_url;

  // The defaults above, with each variable that is set (and not empty) taking their place.
  static DistributedOptions FromEnvironment(const EnvLookup& env);

  // kInvalidArgument naming the flag and variable of the first missing or malformed value:
  // no brokers (neither --kafka nor a properties file, which may set bootstrap.servers), a broker
  // without a port, a topic or table prefix with characters Kafka or DynamoDB refuse. The
  // properties file is read (and checked) by the Kafka adapter.
  Status Validate() const;
  // The table prefix alone (`urna results` reads DynamoDB but not Kafka).
  Status ValidateTablePrefix() const;
};

// The secrets an ingest node needs, from URNA_VOTER_SECRET, URNA_ADMIN_TOKEN and URNA_AUDIT_KEY.
// In distributed mode there is no data dir to generate and keep them in, and every ingest node
// must use the same values: kInvalidArgument naming every one that is missing or empty.
Result<Secrets> RequiredSecrets(const EnvLookup& env);

// kInvalidArgument unless `id` is 1..128 characters of [A-Za-z0-9._:-] (it names the node in
// vote events and in the node lease table).
Status ValidateNodeId(const std::string& id);

// "<hostname>-<pid>": unique per process, so a restarted node starts with a lease of its own.
std::string DefaultNodeId();

}  // namespace urna::app
