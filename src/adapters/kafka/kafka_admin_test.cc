// EnsureTopic against librdkafka's mock cluster, which has no CreateTopics and no
// DescribeConfigs: what exists is reported (its min.insync.replicas as unknown, never a
// failure), what does not is a clear error. The CreateTopics request itself against a
// one-broker stand-in that speaks just enough of the Kafka protocol to take it (the mock cannot:
// a real broker is not available to unit tests). The min.insync.replicas rule and warning are
// checked as functions.
#include "adapters/kafka/kafka_admin.h"

#include <gtest/gtest.h>

#include <string>

#include "adapters/kafka/kafka_mock_process.h"
#include "adapters/kafka/kafka_stand_in_broker.h"

namespace urna::kafka {
namespace {

using testing::StandInBroker;

// An existing topic is never changed; its min.insync.replicas is read and, below 2, warned
// about (the broker's default is 1).
TEST(KafkaAdminTest, AnExistingTopicBelowTwoInSyncReplicasIsWarnedAbout) {
  for (const std::string value : {"1", "2"}) {
    StandInBroker broker("urna.votes", value);
    auto config = KafkaConfig::Make(broker.bootstrap(), "urna.votes", "");
    ASSERT_TRUE(config.ok());
    auto found = EnsureTopic(*config, 3, 3, std::chrono::seconds(10));
    ASSERT_TRUE(found.ok()) << found.status().message();
    EXPECT_FALSE(found->created);
    EXPECT_TRUE(broker.created().empty());
    EXPECT_EQ(found->replication, 3u);
    EXPECT_EQ(found->min_insync_replicas, std::stoi(value));
    EXPECT_NE(found->note.find("min.insync.replicas " + value), std::string::npos) << found->note;
    if (value == "1") {
      EXPECT_NE(found->warning.find("leader alone"), std::string::npos) << found->warning;
      EXPECT_NE(found->note.find("WARNING"), std::string::npos) << found->note;
    } else {
      EXPECT_TRUE(found->warning.empty()) << found->warning;
    }
  }
}

// Without min.insync.replicas the broker's default (1) applies, and acks=all may mean the
// leader alone: a topic urna creates asks for 2 with 3 replicas, or what the operator chose.
TEST(KafkaAdminTest, CreatesTheTopicWithTwoInSyncReplicas) {
  StandInBroker broker;
  auto config = KafkaConfig::Make(broker.bootstrap(), "urna.votes", "");
  ASSERT_TRUE(config.ok());
  auto made = EnsureTopic(*config, 6, 3, std::chrono::seconds(10));
  ASSERT_TRUE(made.ok()) << made.status().message();
  EXPECT_TRUE(made->created);
  EXPECT_EQ(made->min_insync_replicas, 2);
  EXPECT_EQ(made->replication, 3u);
  EXPECT_NE(made->note.find("min.insync.replicas 2"), std::string::npos) << made->note;
  EXPECT_TRUE(made->warning.empty()) << made->warning;
  auto created = broker.created();
  ASSERT_TRUE(created.contains("urna.votes"));
  EXPECT_EQ(created["urna.votes"]["min.insync.replicas"], "2");

  TopicOptions o;
  o.partitions = 2;
  o.replication = 5;
  o.min_insync_replicas = 3;
  o.timeout = std::chrono::seconds(10);
  KafkaConfig other = *config;
  other.topic = "other";
  auto chosen = EnsureTopic(other, o);
  ASSERT_TRUE(chosen.ok()) << chosen.status().message();
  EXPECT_EQ(broker.created()["other"]["min.insync.replicas"], "3");

  // A one-broker development topic: 1, and a warning saying what that means.
  other.topic = "dev";
  auto dev = EnsureTopic(other, 1, 1, std::chrono::seconds(10));
  ASSERT_TRUE(dev.ok()) << dev.status().message();
  EXPECT_EQ(broker.created()["dev"]["min.insync.replicas"], "1");
  EXPECT_NE(dev->note.find("WARNING"), std::string::npos) << dev->note;
  EXPECT_FALSE(dev->warning.empty());
}

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
