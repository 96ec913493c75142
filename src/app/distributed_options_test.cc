#include "app/distributed_options.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace urna::app {
namespace {

// An environment made of a map, so the tests neither read nor change the process's.
EnvLookup FakeEnv(const std::map<std::string, std::string>& vars) {
  return [vars](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

TEST(DistributedOptions, DefaultsWithoutEnvironment) {
  auto o = DistributedOptions::FromEnvironment(FakeEnv({}));
  EXPECT_EQ(o.kafka_brokers, "");
  EXPECT_EQ(o.kafka_config, "");
  EXPECT_EQ(o.topic, "urna.votes");
  EXPECT_EQ(o.table_prefix, "urna-");
}

TEST(DistributedOptions, EnvironmentReplacesDefaults) {
  auto o = DistributedOptions::FromEnvironment(
      FakeEnv({{"URNA_KAFKA_BROKERS", "k1:9092,k2:9092"},
               {"URNA_KAFKA_CONFIG", "/etc/urna/kafka.properties"},
               {"URNA_TOPIC", "votes.v2"},
               {"URNA_TABLE_PREFIX", "prod_"}}));
  EXPECT_EQ(o.kafka_brokers, "k1:9092,k2:9092");
  EXPECT_EQ(o.kafka_config, "/etc/urna/kafka.properties");
  EXPECT_EQ(o.topic, "votes.v2");
  EXPECT_EQ(o.table_prefix, "prod_");
  EXPECT_TRUE(o.Validate().ok()) << o.Validate().message();
}

TEST(DistributedOptions, RedisUrlFromEnvironment) {
  EXPECT_EQ(DistributedOptions::FromEnvironment(FakeEnv({})).redis_url, "");
  auto o = DistributedOptions::FromEnvironment(
      FakeEnv({{"URNA_REDIS_URL", "redis://:pw@redis:6379/2"}}));
  EXPECT_EQ(o.redis_url, "redis://:pw@redis:6379/2");
}

// `urna results` reads DynamoDB but not Kafka: the table prefix is checked alone.
TEST(DistributedOptions, TablePrefixIsCheckedWithoutKafka) {
  DistributedOptions o;  // no brokers
  EXPECT_FALSE(o.Validate().ok());
  EXPECT_TRUE(o.ValidateTablePrefix().ok()) << o.ValidateTablePrefix().message();
  o.table_prefix = "bad/prefix";
  auto s = o.ValidateTablePrefix();
  ASSERT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_NE(s.message().find("--table-prefix"), std::string::npos) << s.message();
}

TEST(DistributedOptions, EmptyVariableKeepsDefault) {
  auto o = DistributedOptions::FromEnvironment(FakeEnv({{"URNA_TOPIC", ""}}));
  EXPECT_EQ(o.topic, "urna.votes");
}

TEST(DistributedOptions, MissingBrokersNamesFlagAndVariable) {
  auto s = DistributedOptions::FromEnvironment(FakeEnv({})).Validate();
  ASSERT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_NE(s.message().find("--kafka"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("URNA_KAFKA_BROKERS"), std::string::npos) << s.message();
  // A properties file may name the brokers (bootstrap.servers): the Kafka adapter checks it.
  auto o = DistributedOptions::FromEnvironment(FakeEnv({{"URNA_KAFKA_CONFIG", "/etc/k.props"}}));
  EXPECT_TRUE(o.Validate().ok()) << o.Validate().message();
}

TEST(DistributedOptions, RefusesMalformedBrokers) {
  for (const char* brokers : {"localhost", "k1:9092,", ",k1:9092", "k1:", ":9092", "k1:0",
                              "k1:65536", "k1:90x2", "k1:9092,,k2:9092"}) {
    DistributedOptions o;
    o.kafka_brokers = brokers;
    auto s = o.Validate();
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << brokers;
    EXPECT_NE(s.message().find("host:port"), std::string::npos) << s.message();
  }
  DistributedOptions o;
  o.kafka_brokers = "127.0.0.1:9092,[::1]:9093,kafka-2.internal:19092";
  EXPECT_TRUE(o.Validate().ok()) << o.Validate().message();
}

TEST(DistributedOptions, RefusesTopicsKafkaRefuses) {
  for (const char* topic : {"", ".", "..", "urna votes", "urna/votes", "ü"}) {
    DistributedOptions o;
    o.kafka_brokers = "k:1";
    o.topic = topic;
    EXPECT_EQ(o.Validate().code(), Code::kInvalidArgument) << topic;
  }
  DistributedOptions o;
  o.kafka_brokers = "k:1";
  o.topic = std::string(250, 'a');
  EXPECT_EQ(o.Validate().code(), Code::kInvalidArgument);
  o.topic = std::string(249, 'a');
  EXPECT_TRUE(o.Validate().ok());
}

TEST(DistributedOptions, RefusesPrefixesDynamoDbRefuses) {
  DistributedOptions o;
  o.kafka_brokers = "k:1";
  o.table_prefix = "";
  EXPECT_TRUE(o.Validate().ok());  // tables named "ledger", "receipts", ...
  o.table_prefix = "urna prod-";
  auto s = o.Validate();
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_NE(s.message().find("URNA_TABLE_PREFIX"), std::string::npos) << s.message();
  o.table_prefix = std::string(245, 'p');
  EXPECT_EQ(o.Validate().code(), Code::kInvalidArgument);
  o.table_prefix = std::string(244, 'p');
  EXPECT_TRUE(o.Validate().ok());
}

TEST(RequiredSecrets, AllThreePresent) {
  auto s = RequiredSecrets(
      FakeEnv({{"URNA_VOTER_SECRET", "v"}, {"URNA_ADMIN_TOKEN", "a"}, {"URNA_AUDIT_KEY", "k"}}));
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->voter_secret, "v");
  EXPECT_EQ(s->admin_token, "a");
  EXPECT_EQ(s->audit_key, "k");
  EXPECT_FALSE(s->generated);
}

TEST(RequiredSecrets, NamesEveryMissingOne) {
  auto s = RequiredSecrets(FakeEnv({{"URNA_ADMIN_TOKEN", "a"}, {"URNA_AUDIT_KEY", ""}}));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Code::kInvalidArgument);
  const auto& m = s.status().message();
  EXPECT_NE(m.find("URNA_VOTER_SECRET"), std::string::npos) << m;
  EXPECT_NE(m.find("URNA_AUDIT_KEY"), std::string::npos) << m;  // empty counts as missing
  EXPECT_EQ(m.find("URNA_ADMIN_TOKEN"), std::string::npos) << m;
}

TEST(NodeId, ValidAndInvalid) {
  EXPECT_TRUE(ValidateNodeId("ingest-1").ok());
  EXPECT_TRUE(ValidateNodeId("host.example:8080").ok());
  EXPECT_FALSE(ValidateNodeId("").ok());
  EXPECT_FALSE(ValidateNodeId("a b").ok());
  EXPECT_FALSE(ValidateNodeId(std::string(129, 'n')).ok());
  EXPECT_TRUE(ValidateNodeId(DefaultNodeId()).ok()) << DefaultNodeId();
}

}  // namespace
}  // namespace urna::app
