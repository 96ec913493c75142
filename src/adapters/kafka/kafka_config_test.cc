#include "adapters/kafka/kafka_config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

namespace urna::kafka {
namespace {

TEST(KafkaPropertiesTest, ReadsKeyValueLinesSkippingCommentsAndBlanks) {
  auto p = ParseKafkaProperties(
      "# a comment\n\n  security.protocol = SASL_SSL\nsasl.mechanisms=PLAIN\r\n"
      "sasl.password=a=b==\n",
      "f");
  ASSERT_TRUE(p.ok()) << p.status().message();
  ASSERT_EQ(p->size(), 3u);
  EXPECT_EQ((*p)[0], (std::pair<std::string, std::string>{"security.protocol", "SASL_SSL"}));
  EXPECT_EQ((*p)[1].second, "PLAIN");
  EXPECT_EQ((*p)[2].second, "a=b==");  // only the first '=' splits
}

TEST(KafkaPropertiesTest, UnknownKeyIsAClearErrorWithItsLine) {
  auto p = ParseKafkaProperties("linger.ms=5\nlinger.msec=5\n", "props.conf");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), Code::kInvalidArgument);
  EXPECT_NE(p.status().message().find("props.conf:2"), std::string::npos) << p.status().message();
  EXPECT_NE(p.status().message().find("linger.msec"), std::string::npos);
}

TEST(KafkaPropertiesTest, BadValueAndMissingEqualsAreErrors) {
  auto bad = ParseKafkaProperties("linger.ms=soon\n", "f");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("linger.ms"), std::string::npos);
  auto no_eq = ParseKafkaProperties("linger.ms\n", "f");
  ASSERT_FALSE(no_eq.ok());
  EXPECT_NE(no_eq.status().message().find("key=value"), std::string::npos);
}

TEST(KafkaPropertiesTest, KeysUrnaReliesOnCannotBeOverridden) {
  for (const char* line : {"acks=1", "enable.idempotence=false", "enable.auto.commit=true",
                           "message.timeout.ms=600000"}) {
    auto p = ParseKafkaProperties(line, "f");
    ASSERT_FALSE(p.ok()) << line;
    EXPECT_NE(p.status().message().find("set by urna"), std::string::npos) << line;
  }
}

TEST(KafkaConfigTest, BrokersFromTheFlagOrTheFile) {
  EXPECT_FALSE(KafkaConfig::Make("", "t", "").ok());  // none at all
  auto c = KafkaConfig::Make("127.0.0.1:9092", "t", "");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->brokers, "127.0.0.1:9092");
  EXPECT_FALSE(KafkaConfig::Make("127.0.0.1:9092", "", "").ok());  // empty topic

  char path[] = "/tmp/urna-kafka-props-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  {
    std::ofstream f(path);
    f << "bootstrap.servers=127.0.0.1:1\nclient.rack=r1\n";
  }
  auto from_file = KafkaConfig::Make("", "t", path);
  ASSERT_TRUE(from_file.ok()) << from_file.status().message();
  EXPECT_EQ(from_file->properties.size(), 2u);
  std::remove(path);
  auto missing = KafkaConfig::Make("b:1", "t", path);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find(path), std::string::npos);
}

}  // namespace
}  // namespace urna::kafka
