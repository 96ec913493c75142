// EnsureTopic against librdkafka's mock cluster, which has no CreateTopics and no
// DescribeConfigs: what exists is reported (its min.insync.replicas as unknown, never a
// failure), what does not is a clear error (a real cluster's CreateTopics path is the same
// code with the broker's answer). The min.insync.replicas rule and warning are checked as
// functions.
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
  EXPECT_EQ(same->replication, 3u) << "the mock's topics have 3 replicas";
  // The mock does not answer DescribeConfigs: unknown, said, not a failure nor a warning.
  EXPECT_EQ(same->min_insync_replicas, -1);
  EXPECT_NE(same->note.find("min.insync.replicas unknown"), std::string::npos) << same->note;
  EXPECT_TRUE(same->warning.empty()) << same->warning;

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
  TopicOptions too_many;
  too_many.replication = 3;
  too_many.min_insync_replicas = 4;
  EXPECT_EQ(EnsureTopic(*config, too_many).status().code(), Code::kInvalidArgument);
}

TEST(KafkaAdminTest, ANewTopicNeedsTwoInSyncReplicasWhenItHasThree) {
  EXPECT_EQ(*MinInsyncReplicasFor(3, 0), 2u);
  EXPECT_EQ(*MinInsyncReplicasFor(5, 0), 2u);
  EXPECT_EQ(*MinInsyncReplicasFor(2, 0), 1u);
  EXPECT_EQ(*MinInsyncReplicasFor(1, 0), 1u);
  EXPECT_EQ(*MinInsyncReplicasFor(5, 3), 3u) << "an operator's choice wins";
  EXPECT_EQ(*MinInsyncReplicasFor(3, 3), 3u);
  auto above = MinInsyncReplicasFor(3, 4);
  ASSERT_FALSE(above.ok());
  EXPECT_EQ(above.status().code(), Code::kInvalidArgument);
  EXPECT_NE(above.status().message().find("replication factor 3"), std::string::npos);
}

TEST(KafkaAdminTest, BelowTwoInSyncReplicasIsWarnedAbout) {
  std::string w = MinInsyncWarning("urna.votes", 1);
  EXPECT_NE(w.find("min.insync.replicas 1"), std::string::npos) << w;
  EXPECT_NE(w.find("leader alone"), std::string::npos) << w;
  EXPECT_NE(w.find("--add-config min.insync.replicas=2"), std::string::npos) << w;
  EXPECT_FALSE(MinInsyncWarning("urna.votes", 0).empty());
  EXPECT_TRUE(MinInsyncWarning("urna.votes", 2).empty());
  EXPECT_TRUE(MinInsyncWarning("urna.votes", 3).empty());
  EXPECT_TRUE(MinInsyncWarning("urna.votes", -1).empty()) << "unknown is said in the note";
}

}  // namespace
}  // namespace urna::kafka
