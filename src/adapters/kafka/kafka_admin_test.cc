// EnsureTopic against librdkafka's mock cluster, which has no CreateTopics: what exists is
// reported, what does not is a clear error (a real cluster's CreateTopics path is the same
// code with the broker's answer).
#include "adapters/kafka/kafka_admin.h"

#include <gtest/gtest.h>

#include "adapters/kafka/kafka_mock_process.h"

namespace urna::kafka {
namespace {

TEST(KafkaAdminTest, ReportsTheExistingTopicWhenTheClusterCannotCreateTopics) {
  std::string error;
  auto mock = testing::KafkaMockProcess::Start(3, {{"urna.votes", 6}}, &error);
  ASSERT_TRUE(mock) << error;
  auto config = KafkaConfig::Make(mock->bootstrap(), "urna.votes", "");
  ASSERT_TRUE(config.ok());

  auto same = EnsureTopic(*config, 6, 3, std::chrono::seconds(10));
  ASSERT_TRUE(same.ok()) << same.status().message();
  EXPECT_FALSE(same->created);
  EXPECT_EQ(same->partitions, 6u);
  EXPECT_NE(same->note.find("exists"), std::string::npos) << same->note;

  auto other = EnsureTopic(*config, 12, 3, std::chrono::seconds(10));
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->partitions, 6u) << "an existing topic is left as it is";
  EXPECT_NE(other->note.find("not the 12"), std::string::npos) << other->note;

  KafkaConfig missing = *config;
  missing.topic = "not-there";
  auto none = EnsureTopic(missing, 3, 3, std::chrono::seconds(2));
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), Code::kUnavailable);
  EXPECT_NE(none.status().message().find("not-there"), std::string::npos)
      << none.status().message();
  EXPECT_NE(none.status().message().find("does not exist"), std::string::npos)
      << none.status().message();

  EXPECT_EQ(EnsureTopic(*config, 0, 3).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace urna::kafka
