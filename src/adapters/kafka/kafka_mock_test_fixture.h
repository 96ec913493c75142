// Test-only: the gtest fixture base of the Kafka adapter tests that run against librdkafka's mock
// cluster (kafka_mock_process.h): a mock of 3 brokers per test, and the KafkaConfig of a client
// of it. Owned by gtest; the test thread only.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>

#include "adapters/kafka/kafka_config.h"
#include "adapters/kafka/kafka_mock_process.h"

namespace urna::kafka::testing {

class KafkaMockTest : public ::testing::Test {
 protected:
  // Starts mock_ with `topic` of `partitions` partitions and sets config_ to a client of it; call
  // it through ASSERT_NO_FATAL_FAILURE.
  void StartMock(const char* topic, uint32_t partitions) {
    std::string error;
    mock_ = KafkaMockProcess::Start(3, {{topic, static_cast<int>(partitions)}}, &error);
    ASSERT_TRUE(mock_) << error;
    auto c = KafkaConfig::Make(mock_->bootstrap(), topic, "");
    ASSERT_TRUE(c.ok());
    config_ = *c;
  }
  // Consumer group rebalances in seconds, not the defaults' tens of seconds (the mock waits
  // session.timeout.ms - 1 s for members to rejoin; below ~4 s its first join, which waits 3 s,
  // outlives the session and never completes).
  void FastRebalances() {
    config_.properties = {{"heartbeat.interval.ms", "200"}, {"session.timeout.ms", "4000"}};
  }

  std::unique_ptr<KafkaMockProcess> mock_;
  KafkaConfig config_;
};

}  // namespace urna::kafka::testing
