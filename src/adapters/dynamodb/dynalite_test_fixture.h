// Test-only: the gtest fixture base of the DynamoDB adapter tests that run against dynalite. One
// dynalite and one fault proxy in front of it per test suite (started in SetUpTestSuite, stopped
// in TearDownTestSuite), the proxy's faults cleared before each test. Owned by gtest; the test
// thread only.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "adapters/dynamodb/test_servers.h"

namespace urna::dynamodb::testing {

class DynaliteTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto d = Dynalite::Start();
    ASSERT_TRUE(d.ok()) << d.status().message();
    dynalite_ = std::move(*d).release();
    auto p = FaultProxy::Start(dynalite_->endpoint());
    ASSERT_TRUE(p.ok()) << p.status().message();
    proxy_ = std::move(*p).release();
  }
  static void TearDownTestSuite() {
    delete proxy_;
    proxy_ = nullptr;
    delete dynalite_;
    dynalite_ = nullptr;
  }
  // Derived fixtures call it first, through ASSERT_NO_FATAL_FAILURE.
  void SetUp() override {
    ASSERT_NE(dynalite_, nullptr);
    ASSERT_NE(proxy_, nullptr);
    ASSERT_TRUE(proxy_->Reset().ok());
  }
  // A client of `endpoint` (dynalite's or the proxy's) that tries each request 3 times.
  static std::unique_ptr<DynamoClient> Client(const std::string& endpoint) {
    DynamoConfig c = TestConfig(endpoint);
    c.max_attempts = 3;
    auto client = MakeCurlClient(c);
    EXPECT_TRUE(client.ok());
    return std::move(*client);
  }

  static inline Dynalite* dynalite_ = nullptr;
  static inline FaultProxy* proxy_ = nullptr;
};

}  // namespace urna::dynamodb::testing
