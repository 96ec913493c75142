#include "app/distributed_options.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

namespace urna::app {
namespace {

bool AllOf(std::string_view s, std::string_view extra) {
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              extra.find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

// One "host:port" of a broker list: a host, a colon, a port 1..65535.
bool ValidBroker(std::string_view b) {
  size_t colon = b.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == b.size()) return false;
  std::string_view port = b.substr(colon + 1);
  if (port.size() > 5 || !AllOf(port, "") || port.find_first_not_of("0123456789") != port.npos) {
    return false;
  }
  int p = std::atoi(std::string(port).c_str());
  return p >= 1 && p <= 65535;
}

// The longest table suffix urna appends to the prefix ("checkpoints").
constexpr size_t kLongestTableSuffix = 11;

}  // namespace

EnvLookup ProcessEnvironment() {
  return [](const char* name) -> const char* { return std::getenv(name); };
}

DistributedOptions DistributedOptions::FromEnvironment(const EnvLookup& env) {
  DistributedOptions o;
  auto take = [&env](const char* name, std::string& field) {
    const char* v = env(name);
    if (v != nullptr && *v != '\0') field = v;
  };
  take("URNA_KAFKA_BROKERS", o.kafka_brokers);
  take("URNA_KAFKA_CONFIG", o.kafka_config);
  take("URNA_TOPIC", o.topic);
  take("URNA_TABLE_PREFIX", o.table_prefix);
  take("URNA_REDIS_URL", o.redis_url);
  return o;
}

Status DistributedOptions::Validate() const {
  auto bad = [](std::string message) { return Status(Code::kInvalidArgument, message); };
  if (kafka_brokers.empty() && kafka_config.empty()) {
    return bad(
        "no Kafka brokers: set --kafka or URNA_KAFKA_BROKERS (host:port,host:port), or "
        "bootstrap.servers in the --kafka-config file");
  }
  // Empty with a properties file: the Kafka adapter requires bootstrap.servers in it.
  for (size_t start = 0; !kafka_brokers.empty() && start <= kafka_brokers.size();) {
    size_t comma = std::min(kafka_brokers.find(',', start), kafka_brokers.size());
    std::string_view broker = std::string_view(kafka_brokers).substr(start, comma - start);
    if (!ValidBroker(broker)) {
      return bad("--kafka / URNA_KAFKA_BROKERS: \"" + std::string(broker) +
                 "\" is not host:port (in \"" + kafka_brokers + "\")");
    }
    start = comma + 1;
  }
  // Kafka's rule for topic names: 1..249 of [a-zA-Z0-9._-], not "." or "..".
  if (topic.empty() || topic.size() > 249 || !AllOf(topic, "._-") || topic == "." ||
      topic == "..") {
    return bad("--topic / URNA_TOPIC: \"" + topic +
               "\" is not a Kafka topic name (1-249 of a-z A-Z 0-9 . _ -)");
  }
  return ValidateTablePrefix();
}

Status DistributedOptions::ValidateTablePrefix() const {
  auto bad = [](std::string message) { return Status(Code::kInvalidArgument, message); };
  // DynamoDB's rule for table names: 3..255 of [a-zA-Z0-9._-]; the prefix may be empty.
  if (!AllOf(table_prefix, "._-") || table_prefix.size() + kLongestTableSuffix > 255) {
    return bad("--table-prefix / URNA_TABLE_PREFIX: \"" + table_prefix +
               "\" cannot start a DynamoDB table name (a-z A-Z 0-9 . _ -, at most " +
               std::to_string(255 - kLongestTableSuffix) + " characters)");
  }
  return Status::Ok();
}

Result<Secrets> RequiredSecrets(const EnvLookup& env) {
  Secrets s;
  std::vector<std::string> missing;
  auto take = [&](const char* name, std::string& field) {
    const char* v = env(name);
    if (v == nullptr || *v == '\0') {
      missing.push_back(name);
    } else {
      field = v;
    }
  };
  take("URNA_VOTER_SECRET", s.voter_secret);
  take("URNA_ADMIN_TOKEN", s.admin_token);
  take("URNA_AUDIT_KEY", s.audit_key);
  if (!missing.empty()) {
    std::string names;
    for (const auto& n : missing) names += (names.empty() ? "" : ", ") + n;
    return Status(Code::kInvalidArgument,
                  "distributed mode needs " + names +
                      " in the environment (the same values on every ingest node; there is no "
                      "data dir to generate and keep them in)");
  }
  return s;
}

Status ValidateNodeId(const std::string& id) {
  if (id.empty() || id.size() > 128 || !AllOf(id, "._:-")) {
    return Status(Code::kInvalidArgument,
                  "--node-id: \"" + id + "\" must be 1-128 of a-z A-Z 0-9 . _ : -");
  }
  return Status::Ok();
}

std::string DefaultNodeId() {
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') {
    std::snprintf(host, sizeof(host), "node");
  }
  std::string h;
  for (const char* p = host; *p != '\0' && h.size() < 100; ++p) {
    h += AllOf(std::string_view(p, 1), "._:-") ? *p : '-';
  }
  return h + "-" + std::to_string(::getpid());
}

}  // namespace urna::app
